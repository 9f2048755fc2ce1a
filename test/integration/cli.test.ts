import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, truncate, writeFile, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from '../helpers/cli.js';
import { editModelJson, writeTinyModelFolder } from '../helpers/model-folders.js';

const root = resolve(__dirname, '../..');
let dir: string;
let good: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcb-cli-'));
  good = join(dir, 'good');
  await writeTinyModelFolder(good, { version: 1, dataset: 'synthetic', classes: 3, trigger: { type: 'patch', size: 2 }, target: 0 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function copyFolder(name: string): Promise<string> {
  const target = join(dir, name);
  const { cp } = await import('node:fs/promises');
  await cp(good, target, { recursive: true });
  return target;
}

describe('qcb inspect', () => {
  it('prints the graph, units, parameter counts and metadata', async () => {
    const r = await runCli(['inspect', '--model', good]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/model tiny_cnn/);
    expect(r.stdout).toMatch(/input \[8, 8, 1\], 411 parameters \(395 trainable\)/);
    expect(r.stdout).toMatch(/calibration units \(3\)/);
    expect(r.stdout).toMatch(/"trigger":\{"type":"patch","size":2\}/);
  });

  it('prints JSON with --json', async () => {
    const r = await runCli(['inspect', '--model', good, '--json', '--backend', 'cpu']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { inputShape: number[]; units: Array<{ head: string; nodes: string[] }>; nodes: Array<{ name: string; outputShape: number[] }>; sidecar: { target: number } };
    expect(report.inputShape).toEqual([8, 8, 1]);
    expect(report.units.map((u) => u.nodes)).toEqual([['conv', 'bn', 'relu'], ['conv_b', 'bn_b'], ['logits']]);
    expect(report.nodes.find((n) => n.name === 'pool')?.outputShape).toEqual([4, 4, 4]);
    expect(report.sidecar.target).toBe(0);
  });
});

describe('bad input gets a one-line error and a non-zero exit', () => {
  it('a missing folder', async () => {
    expectOneLineError(await runCli(['inspect', '--model', join(dir, 'nope')]), /does not exist/);
  });

  it('a malformed model.json', async () => {
    const f = await copyFolder('malformed');
    await writeFile(join(f, 'model.json'), '{"modelTopology": {');
    expectOneLineError(await runCli(['inspect', '--model', f]), /model\.json.*(JSON|parse)/i);
  });

  it('a weight path with ..', async () => {
    const f = await copyFolder('dotdot');
    await editModelJson(f, (j) => {
      (j['weightsManifest'] as Array<{ paths: string[] }>)[0].paths[0] = '../good/group1-shard1of1.bin';
    });
    expectOneLineError(await runCli(['inspect', '--model', f]), /\.\./);
  });

  it('a truncated weights file', async () => {
    const f = await copyFolder('truncated');
    const shard = (await readdir(f)).find((n) => n.endsWith('.bin'))!;
    await truncate(join(f, shard), (await stat(join(f, shard))).size - 8);
    expectOneLineError(await runCli(['inspect', '--model', f]), /bytes|missing|size/i);
  });

  it('an unknown layer class', async () => {
    const f = await copyFolder('unknown-layer');
    await editModelJson(f, (j) => {
      const layers = ((j['modelTopology'] as { config: { layers: Array<{ class_name: string; name: string }> } }).config.layers);
      layers.find((l) => l.name === 'pool')!.class_name = 'FancyAttention';
    });
    expectOneLineError(await runCli(['inspect', '--model', f]), /layer "pool".*unsupported layer class "FancyAttention"/);
  });

  it('an unknown plugin', async () => {
    expectOneLineError(await runCli(['inspect', '--model', good, '--plugin', 'qcb-no-such-plugin']), /cannot load plugin "qcb-no-such-plugin"/);
    expectOneLineError(await runCli(['plugins', '--plugin', './no-such-file.mjs']), /cannot load plugin ".\/no-such-file.mjs"/);
  });

  it('an unknown backend', async () => {
    expectOneLineError(await runCli(['inspect', '--model', good, '--backend', 'gpu']), /unknown backend "gpu"/);
  });

  it('an unknown command or option', async () => {
    const r = await runCli(['inspekt']);
    expectOneLineError(r, /unknown command "inspekt"/);
    expect(r.code).toBe(2);
    expectOneLineError(await runCli(['inspect', '--modle', good]), /unknown option '--modle'/);
  });

  it('prints the stack trace only with --verbose', async () => {
    const r = await runCli(['inspect', '--model', join(dir, 'nope'), '--verbose']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

describe('the qcb binary', () => {
  it('exits non-zero with one line on stderr, and lists plugins as JSON', () => {
    const bin = join(root, 'packages/cli/dist/bin.js');
    const bad = spawnSync(process.execPath, [bin, 'inspect', '--model', join(dir, 'nope')], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    const ok = spawnSync(process.execPath, [bin, 'plugins', '--json', '--plugin', join(root, 'test/fixtures/plugins/sample-plugin.mjs')], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    const listed = JSON.parse(ok.stdout) as Record<string, string[]>;
    expect(Object.keys(listed)).toEqual(['quantizers', 'defenses', 'augmentations', 'attacks']);
    expect(listed['quantizers']).toEqual(['academic-w4a4', 'academic-w8a8', 'tflite-int8', 'pytorch-fbgemm', 'pytorch-qnnpack', 'sample-w4']);
    // The shipped defenses first, then the user's plugin.
    expect(listed['defenses']).toEqual(['lac', 'ft', 'ft-sam', 'nad', 'fine-pruning', 'mcr', 'ibau', 'efrap', 'sample-defense']);
    expect(listed['augmentations']).toEqual(['pda', 'equalize']);
    expect(listed['attacks']).toEqual(['compartifact', 'qu-anti-zation', 'pqbackdoor', 'badnets']);
  });
});
