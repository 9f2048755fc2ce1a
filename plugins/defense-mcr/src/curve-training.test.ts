import * as tf from '@tensorflow/tfjs-core';
import {
  GraphModel, cloneGraph, crossEntropy, imageBatch, initBackend, normalize, trainDefense,
  type BatchContext, type DefenseContext,
} from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyDefenseContext } from '../../../test/helpers/defense-context.js';
import { BezierCurve, averageMiddle } from './bezier.js';
import { curveT, trainCurve } from './curve-training.js';
import { curvePointModel } from './selection.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const weights = (m: GraphModel): number[][] => m.graph.nodes.flatMap((n) => Object.values(n.params).map((v) => Array.from(v.dataSync())));

/** Mean cross-entropy over the share of the curve's models at t (BN recomputed at t). */
function curveLoss(ctx: DefenseContext, curve: BezierCurve, ts: readonly number[]): number {
  const all = imageBatch(ctx.data, Int32Array.from({ length: ctx.data.count }, (_, i) => i));
  let sum = 0;
  for (const t of ts) {
    const model = curvePointModel({ curve, template: curve.mid, data: ctx.data, normalization: ctx.normalization, batchSize: 64 }, t);
    sum += tf.tidy(() => crossEntropy(model.predict(normalize(all.x, ctx.normalization)), all.y).dataSync()[0]);
    model.dispose();
  }
  tf.dispose([all.x, all.y]);
  return sum / ts.length;
}

describe('trainCurve', () => {
  it('lowers the loss along the curve between two separately trained models, moving only the middle bend', async () => {
    const { ctx, fp, dispose } = await tinyDefenseContext();
    const noCheckpoint = { ...ctx, checkpoint: { load: async () => null, save: async () => undefined } };
    // A second mode: another initialisation trained on the same share.
    const other = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8], seed: 99 });
    await trainDefense(noCheckpoint, other, { defense: 'test', phase: 'other', epochs: 4, batchSize: 32, optimizer: { type: 'sgd', momentum: 0.9 }, schedule: { type: 'cosine', lr: 0.05 } });
    const mid = averageMiddle(fp, other);
    const curve = new BezierCurve(fp, mid, other);
    const work = new GraphModel(cloneGraph(mid.graph));
    const seen: BatchContext[] = [];
    ctx.hooks.data.batch.tapPromise('probe', async (batch, bctx) => {
      seen.push(bctx);
      return batch;
    });
    const ends = [weights(fp), weights(other)];
    const midBefore = weights(mid);
    const ts = [0.25, 0.5, 0.75];
    const before = curveLoss(ctx, curve, ts);
    const tensors = tf.memory().numTensors;
    const losses = await trainCurve(noCheckpoint, curve, work, {
      epochs: 4, batchSize: 32, optimizer: { type: 'sgd', momentum: 0.9, weightDecay: 5e-4 }, schedule: { type: 'cosine', lr: 0.05 },
    });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(losses).toHaveLength(4);
    expect(losses[3]).toBeLessThan(losses[0]);
    const after = curveLoss(ctx, curve, ts);
    expect(after).toBeLessThan(before * 0.9);
    expect([weights(fp), weights(other)]).toEqual(ends);
    expect(weights(mid)).not.toEqual(midBefore);
    // 256 images in batches of 32; the hook sees the working model at the batch's t.
    expect(seen).toHaveLength(32);
    expect(seen.every((c, i) => c.consumer === 'defense:mcr' && c.model === work && c.epoch === Math.floor(i / 8) && c.step === i % 8)).toBe(true);
    [other, mid, work].forEach((m) => m.dispose());
    dispose();
  });

  it('draws t uniformly in [0, 1), the same for the same seed, epoch and step', () => {
    const draws = Array.from({ length: 2000 }, (_, i) => curveT(0, Math.floor(i / 100), i % 100));
    expect(draws.every((t) => t >= 0 && t < 1)).toBe(true);
    expect(draws.reduce((a, b) => a + b) / draws.length).toBeCloseTo(0.5, 1);
    expect(curveT(3, 2, 5)).toBe(curveT(3, 2, 5));
    expect(curveT(3, 2, 5)).not.toBe(curveT(3, 2, 6));
  });
});
