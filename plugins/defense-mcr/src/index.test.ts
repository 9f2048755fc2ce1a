import * as tf from '@tensorflow/tfjs-core';
import { GraphModel, cloneGraph, initBackend, type BatchContext, type DefenseContext } from '@qcb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyDefenseContext } from '../../../test/helpers/defense-context.js';
import { memoryCheckpoint } from '../../../test/helpers/memory-checkpoint.js';
import { isCurved } from './bezier.js';
import { recomputeBnStatistics } from './bn-statistics.js';
import { mcr } from './index.js';
import { bestCandidate } from './selection.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const weights = (m: GraphModel): number[][] => m.graph.nodes.flatMap((n) => Object.values(n.params).map((v) => Array.from(v.dataSync())));
const trained = (m: GraphModel): number[][] => m.graph.nodes.flatMap((n) => Object.entries(n.params).filter(([p]) => isCurved(n, p)).map(([, v]) => Array.from(v.dataSync())));
const statistics = (m: GraphModel): number[][] => m.graph.nodes.flatMap((n) => n.frozen.map((p) => Array.from(n.params[p].dataSync())));

async function repair(ctx: DefenseContext): Promise<GraphModel> {
  const model = await mcr.run(ctx);
  if (!(model instanceof GraphModel)) throw new Error('MCR returns a full-precision GraphModel');
  return model;
}

describe('MCR', () => {
  it('fine-tunes an endpoint, trains the curve and returns phi(t) with BN recomputed at t: at t = 0 the model\'s own weights', async () => {
    const { ctx, fp, dispose } = await tinyDefenseContext({ options: { endpointEpochs: '1', epochs: '1', batchSize: '64', t: '0' } });
    const seen: BatchContext[] = [];
    ctx.hooks.data.batch.tapPromise('probe', async (batch, bctx) => {
      seen.push(bctx);
      return batch;
    });
    const checkpoint = memoryCheckpoint();
    const before = weights(fp);
    const tensors = tf.memory().numTensors;
    const repaired = await repair({ ...ctx, checkpoint });
    expect(mcr.operatesOn).toBe('full-precision');
    expect(repaired).not.toBe(fp);
    expect(weights(fp)).toEqual(before);
    // 256 images in batches of 64: an endpoint epoch, then a curve epoch, every batch through the run's hook.
    expect(seen.map((c) => c.consumer)).toEqual(Array(8).fill('defense:mcr'));
    expect(seen.every((c) => c.model !== fp && c.model !== repaired)).toBe(true);
    expect(checkpoint.saves).toEqual([{ done: 1, state: { phase: 'endpoint', epoch: 1 } }, { done: 2, state: { phase: 'curve', epoch: 1 } }]);
    // phi(0) = theta_0 exactly; the BN statistics are recomputed on the share at t, not the model's.
    expect(trained(repaired)).toEqual(trained(fp));
    expect(statistics(repaired)).not.toEqual(statistics(fp));
    const again = new GraphModel(cloneGraph(fp.graph));
    recomputeBnStatistics(again, ctx.data, ctx.normalization, 64);
    expect(statistics(repaired)).toEqual(statistics(again));
    again.dispose();
    checkpoint.dispose();
    repaired.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    dispose();
  });

  it('resumes in the curve phase to the same model an uninterrupted run returns', async () => {
    const { ctx, dispose } = await tinyDefenseContext({ options: { endpointEpochs: '1', epochs: '2', batchSize: '64' } });
    const whole = await repair({ ...ctx, checkpoint: memoryCheckpoint() });
    const checkpoint = memoryCheckpoint(2);
    await expect(repair({ ...ctx, checkpoint })).rejects.toThrow('interrupted');
    const resumed = await repair({ ...ctx, checkpoint });
    expect(checkpoint.saves.slice(2)).toEqual([{ done: 3, state: { phase: 'curve', epoch: 2 } }]);
    expect(weights(resumed)).toEqual(weights(whole));
    expect(trained(whole)).not.toEqual(trained(ctx.fp));
    [whole, resumed].forEach((m) => m.dispose());
    checkpoint.dispose();
    dispose();
  });

  it('picks the most accurate of several candidates on a held-out part of the share that no phase trains on', async () => {
    const { ctx, dispose } = await tinyDefenseContext({ options: { endpointEpochs: '1', epochs: '1', batchSize: '64', candidates: '0.1,0.9', holdout: '0.25' } });
    let steps = 0;
    ctx.hooks.data.batch.tapPromise('count', async (batch) => {
      steps++;
      return batch;
    });
    const lines: string[] = [];
    const progress = { ...ctx.progress, step: (_: number, info?: string) => void (info && lines.push(info)) };
    const tensors = tf.memory().numTensors;
    const repaired = await repair({ ...ctx, progress });
    // 192 of the 256 images train: 3 steps of 64 an epoch, an endpoint and a curve epoch.
    expect(steps).toBe(6);
    const reported = lines.filter((l) => /held-out accuracy|chose/.test(l));
    expect(reported).toHaveLength(3);
    expect(reported[0]).toMatch(/^t 0\.1: held-out accuracy \d+\.\d\d%$/);
    expect(reported[1]).toMatch(/^t 0\.9: held-out accuracy \d+\.\d\d%$/);
    const accuracies = reported.slice(0, 2).map((l) => Number(/(\d+\.\d\d)%/.exec(l)![1]));
    expect(reported[2]).toBe(`chose t ${accuracies[1] > accuracies[0] ? 0.9 : 0.1}`);
    repaired.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    dispose();
  });

  it('takes the first of equally accurate candidates', () => {
    expect(bestCandidate([{ t: 0.1, score: 0.5 }, { t: 0.9, score: 0.7 }, { t: 0.5, score: 0.7 }])).toBe(0.9);
    expect(bestCandidate([{ t: 0.1, score: 0.5 }, { t: 0.9, score: 0.5 }])).toBe(0.1);
  });

  it('declares its option keys and fails at once on a bad value', async () => {
    expect(mcr.optionKeys).toEqual(['endpointEpochs', 'endpointLr', 'endpointSchedule', 'epochs', 'lr', 'schedule', 'batchSize', 'momentum', 'weightDecay', 't', 'candidates', 'holdout']);
    const { ctx, dispose } = await tinyDefenseContext({ options: { candidates: '0.1,1.2' } });
    await expect(mcr.run(ctx)).rejects.toThrow('--option candidates must be comma-separated numbers between 0 and 1, got "0.1,1.2"');
    dispose();
  });
});
