import { cp, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel } from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from '../helpers/cli.js';
import { editModelJson, writeTinyModelFolder } from '../helpers/model-folders.js';

let dir: string;
let model: string;
let tiny: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcb-cli-scan-'));
  model = join(dir, 'resnet');
  const net = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8] });
  await saveModel(model, net, { sidecar: { version: 1, dataset: 'synthetic', classes: 4, trigger: { type: 'patch', size: 2 }, target: 0 } });
  net.dispose();
  tiny = join(dir, 'tiny');
  await writeTinyModelFolder(tiny, { version: 1, dataset: 'synthetic', classes: 3 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function brokenCopy(name: string, edit: (folder: string) => Promise<void>): Promise<string> {
  const target = join(dir, name);
  await cp(tiny, target, { recursive: true });
  await edit(target);
  return target;
}

interface ScanJson {
  images: number;
  target: number | null;
  profiles: Record<string, { score: number; units: Array<{ unit: string; neurons: Array<{ channel: number; kl: number; importance?: number }> }> }>;
}

describe('qcb scan', () => {
  it('--json prints the profiles with a score, and each unit\'s most drifting neurons with their importance', async () => {
    const r = await runCli(['scan', '--model', model, '--quantizer', 'academic-w4a4', '--quantizer', 'uniform:w8a8,fold', '--top', '2', '--bins', '16', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as ScanJson;
    expect(Object.keys(report.profiles)).toEqual(['academic-w4a4', 'uniform:w8a8,fold']);
    expect(report.target).toBe(0);
    expect(report.images).toBeGreaterThan(0);
    for (const p of Object.values(report.profiles)) {
      expect(typeof p.score).toBe('number');
      expect(p.units.map((u) => u.unit)).toEqual([
        'stem_conv', 'stage1_block1_conv1', 'stage1_block1_conv2', 'stage2_block1_conv1', 'stage2_block1_conv2',
        'stage2_block1_shortcut', 'stage3_block1_conv1', 'stage3_block1_conv2', 'stage3_block1_shortcut', 'logits',
      ]);
      for (const u of p.units) {
        expect(u.neurons).toHaveLength(2);
        for (const n of u.neurons) {
          expect(Number.isInteger(n.channel)).toBe(true);
          expect(n.kl).toBeGreaterThanOrEqual(0);
          expect(typeof n.importance).toBe('number');
        }
      }
    }
  });

  it('scans every registered profile by default and prints a table per profile', async () => {
    const registered = (JSON.parse((await runCli(['plugins', '--json'])).stdout) as { quantizers: string[] }).quantizers;
    const r = await runCli(['scan', '--model', tiny, '--bins', '8', '--top', '1']);
    expect(r.code).toBe(0);
    for (const name of registered) expect(r.stdout).toMatch(new RegExp(`^${name}: score \\d+\\.\\d\\d`, 'm'));
    expect(r.stdout).toMatch(/qcb\.json names no trigger and target: no backdoor importance/);
    expect(r.stdout).toMatch(/^scores: academic-w4a4 \d/m);
    expect(r.stderr).not.toMatch(/error/);
  });
});

describe('qcb scan refuses bad input in one line', () => {
  it('a malformed model.json, as inspect does', async () => {
    const f = await brokenCopy('malformed', (d) => writeFile(join(d, 'model.json'), '{"modelTopology": {'));
    const r = await runCli(['scan', '--model', f, '--quantizer', 'academic-w4a4']);
    expectOneLineError(r, /model\.json.*(JSON|parse)/i);
    expect(r.stderr).toBe((await runCli(['inspect', '--model', f])).stderr);
  });

  it('a weight path with .., a truncated shard, an unknown layer class', async () => {
    const dotdot = await brokenCopy('dotdot', (d) => editModelJson(d, (j) => {
      (j['weightsManifest'] as Array<{ paths: string[] }>)[0].paths[0] = '../tiny/group1-shard1of1.bin';
    }));
    expectOneLineError(await runCli(['scan', '--model', dotdot]), /\.\./);
    const truncated = await brokenCopy('truncated', async (d) => {
      const shard = (await readdir(d)).find((n) => n.endsWith('.bin'))!;
      await truncate(join(d, shard), (await stat(join(d, shard))).size - 8);
    });
    expectOneLineError(await runCli(['scan', '--model', truncated]), /bytes|missing|size/i);
    const unknown = await brokenCopy('unknown-layer', (d) => editModelJson(d, (j) => {
      const layers = (j['modelTopology'] as { config: { layers: Array<{ class_name: string; name: string }> } }).config.layers;
      layers.find((l) => l.name === 'pool')!.class_name = 'FancyAttention';
    }));
    expectOneLineError(await runCli(['scan', '--model', unknown]), /layer "pool".*unsupported layer class "FancyAttention"/);
  });

  it('a missing folder or a missing --model', async () => {
    expectOneLineError(await runCli(['scan', '--model', join(dir, 'nope')]), /does not exist/);
    const r = await runCli(['scan']);
    expectOneLineError(r, /--model is required/);
    expect(r.code).toBe(2);
  });

  it('an unknown --quantizer name or a bad uniform spec', async () => {
    expectOneLineError(await runCli(['scan', '--model', tiny, '--quantizer', 'academic-w3a3']), /unknown quantizer "academic-w3a3" \(available: .*academic-w4a4/);
    expectOneLineError(await runCli(['scan', '--model', tiny, '--quantizer', 'uniform:x9']), /quantizer spec "uniform:x9"/);
  });

  it('bad numbers and an already quantized folder', async () => {
    expectOneLineError(await runCli(['scan', '--model', tiny, '--bins', '1']), /--bins must be an integer >= 2/);
    expectOneLineError(await runCli(['scan', '--model', tiny, '--top', 'many']), /--top must be an integer >= 1/);
    const quantized = join(dir, 'quantized');
    expect((await runCli(['quantize', '--model', tiny, '--quantizer', 'academic-w8a8', '--out', quantized])).code).toBe(0);
    expectOneLineError(await runCli(['scan', '--model', quantized]), /already quantized \(academic-w8a8\)/);
  });
});
