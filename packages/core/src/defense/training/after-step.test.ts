import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GraphModel } from '../../ir/graph-model.js';
import { initBackend } from '../../runtime/backend.js';
import { phaseModel } from './resume.js';
import { MemoryCheckpoint, tinyTrainingContext } from './testing/training-context.js';
import { trainDefense } from './train-defense.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('trainDefense afterStep', () => {
  it('runs after every update, before the epoch checkpoint, so what it sets is what is trained on and saved', async () => {
    const { ctx, dispose } = await tinyTrainingContext();
    const calls: GraphModel[] = [];
    let zeroBeforeStep = 0;
    // A batch hook runs before each step: the row zeroed after the previous step is still 0 there.
    ctx.hooks.data.batch.tapPromise('probe', async (batch, bctx) => {
      if (tf.tidy(() => tf.sum(tf.abs(bctx.model.node('logits').params['kernel'].slice([1, 0], [1, 3]))).dataSync()[0]) === 0) zeroBeforeStep++;
      return batch;
    });
    const model = phaseModel(null, 'finetune', ctx.fp);
    const zeroRow = (m: GraphModel): void => {
      calls.push(m);
      const kernel = m.node('logits').params['kernel'];
      tf.tidy(() => kernel.assign(tf.mul(kernel, tf.tensor2d([1, 0, 1, 1], [4, 1]))));
    };
    const before = tf.memory().numTensors;
    await trainDefense(ctx, model, {
      defense: 'test', phase: 'finetune', epochs: 2, batchSize: 16,
      optimizer: { type: 'sgd', momentum: 0.9, weightDecay: 5e-4 }, schedule: { type: 'constant', lr: 0.1 }, afterStep: zeroRow,
    });
    // 64 images in batches of 16: 4 steps an epoch.
    expect(calls).toHaveLength(8);
    expect(calls.every((m) => m === model)).toBe(true);
    expect(zeroBeforeStep).toBe(7);
    const row = (m: GraphModel): boolean[] => Array.from(m.node('logits').params['kernel'].dataSync()).slice(3, 6).map((v) => v === 0);
    expect(row(model)).toEqual([true, true, true]);
    const saved = (ctx.checkpoint as MemoryCheckpoint).saved!;
    expect(row(saved.model)).toEqual([true, true, true]);
    // The other rows were trained.
    expect(Array.from(model.node('logits').params['kernel'].dataSync()).slice(0, 3)).not.toEqual(Array.from(ctx.fp.node('logits').params['kernel'].dataSync()).slice(0, 3));
    (ctx.checkpoint as MemoryCheckpoint).dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    dispose();
  });
});
