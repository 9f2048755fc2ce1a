import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellKey, cellSlug, gridCells, settingsOf } from './cells.js';
import { resolveGridModels } from './models.js';
import { parseGridSpec } from './spec.js';

describe('gridCells', () => {
  const spec = parseGridSpec({
    models: ['a', 'b'], quantizers: ['academic-w4a4'], defenses: ['lac', 'lac+pda', { defense: 'nad', options: { lr: 0.01 } }], seeds: [0, 1], samples: 64,
  });
  const models = [{ id: 'models/a', dir: '/x/models/a' }, { id: 'models/b', dir: '/x/models/b' }];
  const cells = gridCells(spec, models);

  it('is the cross product, seeds outermost, with one key per cell', () => {
    expect(cells).toHaveLength(2 * 3 * 2);
    expect(cells.slice(0, 4).map((c) => c.label)).toEqual(['a lac s0', 'a lac+pda s0', 'a nad{lr=0.01} s0', 'b lac s0']);
    expect(cells.at(-1)?.label).toBe('b nad{lr=0.01} s1');
    expect(new Set(cells.map((c) => c.key)).size).toBe(cells.length);
    expect(cells[2]).toMatchObject({ model: 'models/a', modelDir: '/x/models/a', defense: 'nad', augment: [], preset: 'fast', seed: 0, options: { lr: '0.01' }, share: 0.05, samples: 64, data: null });
  });

  it('keys a cell by its settings alone: option order and defaults make no difference', () => {
    const s = settingsOf(cells[2]);
    expect(cellKey({ ...s, options: { b: '2', a: '1' } })).toBe(cellKey({ ...s, options: { a: '1', b: '2' } }));
    expect(JSON.parse(cells[1].key)).toEqual({
      model: 'models/a', quantizer: 'academic-w4a4', defense: 'lac', augment: ['pda'], preset: 'fast', seed: 0, options: {}, share: 0.05, samples: 64, data: null,
    });
    const explicit = gridCells(parseGridSpec({ models: ['a'], quantizers: ['academic-w4a4'], defenses: ['lac'], seeds: [0], share: 0.05, samples: 1024, preset: 'fast' }), models.slice(0, 1));
    const implicit = gridCells(parseGridSpec({ models: ['a'], quantizers: ['academic-w4a4'], defenses: ['lac'], seeds: [0] }), models.slice(0, 1));
    expect(explicit[0].key).toBe(implicit[0].key);
  });

  it('names output folders safely and never twice', () => {
    const slugs = cells.map(cellSlug);
    expect(new Set(slugs).size).toBe(cells.length);
    for (const s of slugs) expect(s).toMatch(/^[A-Za-z0-9._+=-]+$/);
    expect(cellSlug({ key: 'k', label: '../../etc passwd' })).toMatch(/^etc_passwd-[0-9a-f]{10}$/);
  });
});

describe('resolveGridModels', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'qcb-grid-models-'));
    for (const d of ['specs/m1', 'cwd/m2', 'cwd/specs-too']) {
      await mkdir(join(root, d), { recursive: true });
      await writeFile(join(root, d, 'model.json'), '{}');
    }
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads paths relative to the spec file first, then the working folder, and names them from the database folder', () => {
    const places = { specDir: join(root, 'specs'), cwd: join(root, 'cwd'), dbDir: join(root, 'db'), source: 'g.json' };
    expect(resolveGridModels(['m1', 'm2', join(root, 'cwd/specs-too')], places)).toEqual([
      { id: '../specs/m1', dir: join(root, 'specs/m1') },
      { id: '../cwd/m2', dir: join(root, 'cwd/m2') },
      { id: '../cwd/specs-too', dir: join(root, 'cwd/specs-too') },
    ]);
    expect(() => resolveGridModels(['m1', 'nope'], places)).toThrow(/^g\.json: models\[1\] names no model folder: "nope" has no model\.json \(looked in /);
    expect(() => resolveGridModels(['m1', '../specs/m1'], places)).toThrow('g.json: models[1] is the folder of models[0]');
  });
});
