import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  initBackend, loadCheckpoint, saveCheckpoint, syntheticDataset, trainClassifier, type ClassifierTrainingConfig, type GraphModel,
} from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'qcb-resume-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const data = syntheticDataset({ classes: 3, shape: [8, 8, 1], trainCount: 96, testCount: 24, seed: 1 });
const config: ClassifierTrainingConfig = {
  epochs: 4,
  batchSize: 16,
  optimizer: { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
  schedule: { type: 'cosine', lr: 0.05 },
  augment: { padCrop: 1, flip: true },
  seed: 3,
};
const settings = { test: 'resume', ...config };

function weights(model: GraphModel): number[] {
  return model.variables(() => true).flatMap((v) => Array.from(v.dataSync()));
}

describe('an interrupted training run', () => {
  it('resumes from its last checkpoint to exactly the weights of an uninterrupted run', async () => {
    const straight = resnetSmall({ inputShape: [8, 8, 1], classes: 3, widths: [4, 8, 8], seed: 9 });
    const straightReports = await trainClassifier(straight, data, config);

    const ckpt = join(dir, 'run.checkpoint');
    const interrupted = resnetSmall({ inputShape: [8, 8, 1], classes: 3, widths: [4, 8, 8], seed: 9 });
    await expect(
      trainClassifier(interrupted, data, config, {
        onEpoch: async (report, optimizer) => {
          await saveCheckpoint(ckpt, interrupted, optimizer, { epoch: report.epoch + 1, settings, history: [report] });
          if (report.epoch === 1) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    interrupted.dispose();

    const restored = await loadCheckpoint(ckpt, settings);
    expect(restored?.state.epoch).toBe(2);
    const resumedReports = await trainClassifier(restored!.model, data, config, { resume: { epoch: 2, slots: restored!.slots } });
    expect(resumedReports.map((r) => r.epoch)).toEqual([2, 3]);
    expect(weights(restored!.model)).toEqual(weights(straight));
    expect(resumedReports[1].testAccuracy).toBe(straightReports[3].testAccuracy);
    await expect(loadCheckpoint(ckpt, { ...settings, seed: 4 })).rejects.toThrow(/made with other settings/);
    straight.dispose();
    restored!.model.dispose();
  });
});
