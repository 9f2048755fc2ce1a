import 'reflect-metadata';
import { resolve } from 'node:path';
import { ContainerModule, inject, injectable } from 'inversify';
import { describe, expect, it } from 'vitest';
import { isQcbError } from '../errors.js';
import { startDefenseRun } from '../defense/defense-run.js';
import { Engine } from './engine.js';
import type { DefensePlugin } from './plugin.js';
import { importPluginModule, readConfigFile } from './plugin-loader.js';
import { TOKENS, sid } from './tokens.js';

const fixtures = resolve(__dirname, '../../../../test/fixtures/plugins');

@injectable()
class ScaledDefense implements DefensePlugin {
  readonly kind = 'defense';
  readonly name = 'scaled';
  readonly description = 'test defense';
  readonly definition = { operatesOn: 'quantized' as const, run: async () => { throw new Error('not run'); } };
  constructor(@inject(sid(TOKENS.Engine)) readonly engine: Engine) {}
  apply(engine: Engine): void {
    engine.hooks.defense.run.tap('scaled', (run) => {
      run.hooks.loss.terms.tap('scaled', (terms) => [...terms, { name: 'scaled', value: undefined as never, weight: 2 }]);
    });
  }
}

describe('Engine', () => {
  it('loads ContainerModules, applies every plugin once and lists them by kind', async () => {
    const module = new ContainerModule(({ bind }) => {
      bind(sid(TOKENS.Defense)).to(ScaledDefense);
    });
    const engine = await Engine.create([module]);
    expect(engine.registry()).toEqual({ quantizers: [], defenses: ['scaled'], augmentations: [], attacks: [] });
    const defense = engine.plugin('defense', 'scaled') as ScaledDefense;
    expect(defense.engine).toBe(engine);
    expect(engine.appliedPlugins()).toHaveLength(1);
    const run = startDefenseRun(engine, { defense: 'scaled', augmentations: [], preset: 'fast', options: {}, seed: 0 });
    const terms = run.hooks.loss.terms.call([], { stage: 'test', model: undefined as never });
    expect(terms.map((t) => t.name)).toEqual(['scaled']);
  });

  it('has a frozen hooks record', async () => {
    const engine = await Engine.create();
    expect(Object.isFrozen(engine.hooks)).toBe(true);
    expect(Object.isFrozen(engine.hooks.defense)).toBe(true);
    expect(Object.keys(engine.hooks)).toEqual(['quantizer', 'defense']);
    const run = startDefenseRun(engine, { defense: 'x', augmentations: [], preset: 'fast', options: {}, seed: 0 });
    expect(Object.isFrozen(run.hooks)).toBe(true);
    expect(Object.isFrozen(run.hooks.calibration)).toBe(true);
    expect(Object.isFrozen(run.hooks.model)).toBe(true);
    expect(Object.keys(run.hooks)).toEqual(['model', 'calibration', 'loss', 'data']);
  });

  it('names what exists when a plugin is unknown', async () => {
    const engine = await Engine.create();
    expect(() => engine.plugin('quantizer', 'nope')).toThrow(/unknown quantizer "nope" \(available: none registered\)/);
  });

  it('rejects two plugins of one kind with the same name', async () => {
    const twice = new ContainerModule(({ bind }) => {
      bind(sid(TOKENS.Defense)).to(ScaledDefense);
      bind(sid(TOKENS.Defense)).toConstantValue({ kind: 'defense', name: 'scaled', description: '', definition: new ScaledDefense(undefined as never).definition, apply() {} });
    });
    await expect(Engine.create([twice])).rejects.toThrow(/two defense plugins are named "scaled"/);
  });
});

describe('plugin loading by module specifier', () => {
  it('imports a user plugin file and applies its plugins, hook-only ones included', async () => {
    const spec = resolve(fixtures, 'sample-plugin.mjs');
    const module = await importPluginModule(spec);
    const engine = await Engine.create([module]);
    expect(engine.registry()).toEqual({ quantizers: ['sample-w4'], defenses: ['sample-defense'], augmentations: [], attacks: [] });
    const { applied } = (await import(spec)) as { applied: string[] };
    expect(applied).toEqual(expect.arrayContaining(['sample-w4', 'sample-defense', 'sample-hook-only']));
    const run = startDefenseRun(engine, { defense: 'sample-defense', augmentations: [], preset: 'fast', options: {}, seed: 0 });
    const terms = run.hooks.loss.terms.call([], { stage: 'unit', model: undefined as never });
    expect(terms.map((t) => t.name)).toEqual(['sample:unit']);
  });

  it('resolves a relative path from the given folder', async () => {
    const module = await importPluginModule('./sample-plugin.mjs', fixtures);
    expect(typeof module.load).toBe('function');
  });

  it('fails clearly on a missing file, a missing package and a module without a ContainerModule', async () => {
    const codes = async (p: Promise<unknown>): Promise<string> => {
      try {
        await p;
        return 'resolved';
      } catch (e) {
        return isQcbError(e) ? `${e.code}: ${e.message}` : `other: ${String(e)}`;
      }
    };
    expect(await codes(importPluginModule('./missing.mjs', fixtures))).toMatch(/^E_PLUGIN: cannot load plugin ".\/missing.mjs": file not found/);
    expect(await codes(importPluginModule('qcb-plugin-that-does-not-exist', fixtures))).toMatch(/^E_PLUGIN: cannot load plugin "qcb-plugin-that-does-not-exist": package not found/);
    expect(await codes(importPluginModule('./not-a-module.mjs', fixtures))).toMatch(/^E_PLUGIN: plugin ".\/not-a-module.mjs" must export an inversify ContainerModule/);
  });

  it('reads plugin specifiers from a config file relative to it', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(resolve(tmpdir(), 'qcb-config-'));
    await writeFile(resolve(dir, 'qcb.config.json'), JSON.stringify({ plugins: ['./p.mjs', 'some-package'] }));
    expect((await readConfigFile(resolve(dir, 'qcb.config.json'))).plugins).toEqual([resolve(dir, 'p.mjs'), 'some-package']);
    await writeFile(resolve(dir, 'bad.json'), '{"plugins": 3}');
    await expect(readConfigFile(resolve(dir, 'bad.json'))).rejects.toThrow(/"plugins" must be an array/);
  });
});
