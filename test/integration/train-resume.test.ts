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

  it('resumes from a checkpoint inside an epoch to the same weights and the same epoch losses', async () => {
    const straight = resnetSmall({ inputShape: [8, 8, 1], classes: 3, widths: [4, 8, 8], seed: 9 });
    const straightReports = await trainClassifier(straight, data, config);

    // 96 images in batches of 16: six steps an epoch. checkpointSeconds 0 writes one after every
    // step but an epoch's last; stopped after step 4 of epoch 2 (index 1).
    const ckpt = join(dir, 'mid.checkpoint');
    const interrupted = resnetSmall({ inputShape: [8, 8, 1], classes: 3, widths: [4, 8, 8], seed: 9 });
    const positions: string[] = [];
    await expect(
      trainClassifier(interrupted, data, config, {
        checkpointSeconds: 0,
        onEpoch: async (report, optimizer) => saveCheckpoint(ckpt, interrupted, optimizer, { epoch: report.epoch + 1, settings, history: [] }),
        onCheckpoint: async (at, optimizer) => {
          positions.push(`${at.epoch}:${at.step}`);
          await saveCheckpoint(ckpt, interrupted, optimizer, { epoch: at.epoch, step: at.step, lossSum: at.lossSum, settings, history: [] });
          if (at.epoch === 1 && at.step === 4) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    expect(positions).toEqual(['0:1', '0:2', '0:3', '0:4', '0:5', '1:1', '1:2', '1:3', '1:4']);
    interrupted.dispose();

    const restored = await loadCheckpoint(ckpt, settings);
    expect(restored?.state).toMatchObject({ epoch: 1, step: 4 });
    const { epoch, step, lossSum } = restored!.state;
    const resumedReports = await trainClassifier(restored!.model, data, config, { resume: { epoch, step, lossSum, slots: restored!.slots } });
    expect(resumedReports.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(weights(restored!.model)).toEqual(weights(straight));
    expect(resumedReports.map((r) => [r.loss, r.testAccuracy])).toEqual(straightReports.slice(1).map((r) => [r.loss, r.testAccuracy]));
    straight.dispose();
    restored!.model.dispose();
  });
});
