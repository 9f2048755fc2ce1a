import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, saveModel, syntheticDataset, trainClassifier } from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatRows, runPdaWithNad } from './index.js';

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'qcb-pda-nad-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pda-with-nad example', () => {
  it('runs NAD alone and with PDA through the public API and prints both', async () => {
    // The synthetic dataset's default size, as `--data synthetic` loads it from qcb.json.
    const data = syntheticDataset();
    const model = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8], seed: 3 });
    await trainClassifier(model, data, { epochs: 3, batchSize: 32, optimizer: { type: 'sgd', momentum: 0.9 }, schedule: { type: 'cosine', lr: 0.05 }, seed: 1 });
    await saveModel(join(dir, 'm'), model, {
      sidecar: { version: 1, dataset: 'synthetic', normalization: { mean: [...data.normalization.mean], std: [...data.normalization.std] }, trigger: { type: 'patch', size: 2 }, target: 0 },
    });
    model.dispose();
    const rows = await runPdaWithNad(join(dir, 'm'), { options: { teacherEpochs: 1, epochs: 1 }, pdaOptions: { 'pda.steps': 2 } });
    expect(rows.map((r) => r.defense)).toEqual(['nad', 'nad + pda']);
    // Same model, profile and calibration: the baselines agree; the defended models differ.
    expect(rows[1].report.quantized).toEqual(rows[0].report.quantized);
    for (const r of rows) {
      expect(r.report.defended.asr).not.toBeNull();
      expect(r.report.der).toBeGreaterThanOrEqual(0);
    }
    expect(formatRows(rows)).toMatch(/^model +BA % +ASR % +DER %\nfull precision +[\d.]+ +[\d.]+\nquantized, no defense +[\d.]+ +[\d.]+\nnad +[\d.]+ +[\d.]+ +[\d.]+\nnad \+ pda +[\d.]+/);
  });
});
