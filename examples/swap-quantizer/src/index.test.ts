import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, saveModel, syntheticDataset, trainClassifier } from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTable, runSwapQuantizer } from './index.js';

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'qcb-swap-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('swap-quantizer example', () => {
  it('evaluates one model under several deployment profiles and prints a BA table', async () => {
    const data = syntheticDataset({ classes: 4, shape: [8, 8, 1], trainCount: 256, testCount: 64, seed: 2 });
    const model = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [8, 8, 16], seed: 3 });
    await trainClassifier(model, data, { epochs: 6, batchSize: 32, optimizer: { type: 'sgd', momentum: 0.9 }, schedule: { type: 'cosine', lr: 0.05 }, seed: 1 });
    await saveModel(join(dir, 'm'), model, { sidecar: { version: 1, dataset: 'synthetic', normalization: { mean: [0.5], std: [0.25] } } });
    model.dispose();
    const rows = await runSwapQuantizer(join(dir, 'm'), ['academic-w8a8', 'tflite-int8', 'uniform:w2a2,per-tensor']);
    expect(rows.map((r) => r.profile)).toEqual(['full precision', 'academic-w8a8', 'tflite-int8', 'uniform:w2a2,per-tensor']);
    const [fp, w8, tflite, w2] = rows.map((r) => r.ba);
    expect(fp).toBeGreaterThan(90);
    expect(Math.abs(w8 - fp)).toBeLessThanOrEqual(3);
    expect(Math.abs(tflite - fp)).toBeLessThanOrEqual(3);
    expect(w2).toBeLessThan(fp);
    expect(formatTable(rows)).toMatch(/^profile +BA\nfull precision +\d+\.\d\d%\nacademic-w8a8/);
  });
});
