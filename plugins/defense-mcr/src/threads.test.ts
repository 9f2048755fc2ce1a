import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder, GraphModel, cloneGraph, setRunThreads, type DefenseContext } from '@qcb/core';
import { describe, expect, it } from 'vitest';
import { tinyDefenseContext } from '../../../test/helpers/defense-context.js';
import { idleWorkerTensors, useThreads } from '../../../test/helpers/threads.js';
import { memoryCheckpoint } from '../../../test/helpers/memory-checkpoint.js';
import { BezierCurve, averageMiddle } from './bezier.js';
import { trainCurve } from './curve-training.js';
import { mcr } from './index.js';

useThreads();

const weights = (m: GraphModel): number[] => m.graph.nodes.flatMap((n) => Object.values(n.params).flatMap((v) => Array.from(v.dataSync())));

/** conv -> relu -> conv -> relu -> pooled dense on 8x8x1, 4 classes: no BatchNorm, so the shards change nothing but float sums. */
function plainModel(seed: number): GraphModel {
  const b = new GraphBuilder('plain', [8, 8, 1], { seed });
  let x = b.relu(b.conv2d(b.input(), { filters: 6, kernelSize: 3, name: 'c1' }), 'r1');
  x = b.relu(b.conv2d(x, { filters: 8, kernelSize: 3, strides: 2, name: 'c2' }), 'r2');
  return new GraphModel(b.build(b.dense(b.globalAvgPool(x, 'gap'), { units: 4, name: 'logits' })));
}

/** The middle bend after two curve epochs between the context's model and another on `threads` threads, and the epoch losses. */
async function curveOn(ctx: DefenseContext, threads: number): Promise<{ mid: number[]; losses: number[] }> {
  setRunThreads(threads);
  const other = plainModel(77);
  const mid = averageMiddle(ctx.fp, other);
  const work = new GraphModel(cloneGraph(mid.graph));
  const losses = await trainCurve({ ...ctx, checkpoint: { load: async () => null, save: async () => undefined } }, new BezierCurve(ctx.fp, mid, other), work, {
    epochs: 2, batchSize: 32, optimizer: { type: 'sgd', momentum: 0.9, weightDecay: 5e-4 }, schedule: { type: 'cosine', lr: 0.05 },
  });
  const w = weights(mid);
  [other, mid, work].forEach((m) => m.dispose());
  return { mid: w, losses };
}

describe('MCR on two threads', () => {
  it("trains the curve's middle bend from gradients summed over the threads: the one-thread bend up to float rounding", async () => {
    const { ctx, dispose } = await tinyDefenseContext({ model: () => plainModel(5) });
    const one = await curveOn(ctx, 1);
    const tensors = tf.memory().numTensors;
    const two = await curveOn(ctx, 2);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(two.mid).not.toEqual(one.mid);
    expect(Math.max(...two.mid.map((v, i) => Math.abs(v - one.mid[i])))).toBeLessThan(1e-4);
    two.losses.forEach((l, i) => expect(l).toBeCloseTo(one.losses[i], 4));
    dispose();
  });

  it('repairs the same model twice for the same seed, BN in training mode, and leaks no tensor here or on the workers', async () => {
    const { ctx, dispose } = await tinyDefenseContext({ options: { endpointEpochs: '1', epochs: '2', batchSize: '64' } });
    setRunThreads(2);
    const warm = memoryCheckpoint();
    ((await mcr.run({ ...ctx, checkpoint: warm })) as GraphModel).dispose();
    warm.dispose();
    const workersBefore = await idleWorkerTensors();
    const before = tf.memory().numTensors;
    const runs: number[][] = [];
    for (let r = 0; r < 2; r++) {
      const checkpoint = memoryCheckpoint();
      const repaired = (await mcr.run({ ...ctx, checkpoint })) as GraphModel;
      runs.push(weights(repaired));
      repaired.dispose();
      checkpoint.dispose();
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(tf.memory().numTensors).toBe(before);
    expect(await idleWorkerTensors()).toEqual(workersBefore);
    dispose();
  });
});
