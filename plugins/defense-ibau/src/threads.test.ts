import * as tf from '@tensorflow/tfjs-core';
import { GraphModel, cloneGraph, setRunThreads, variableKeys } from '@qcb/core';
import { describe, expect, it } from 'vitest';
import { tinyDefenseContext } from '../../../test/helpers/defense-context.js';
import { memoryCheckpoint } from '../../../test/helpers/memory-checkpoint.js';
import { idleWorkerTensors, useThreads } from '../../../test/helpers/threads.js';
import { ibau } from './index.js';
import { predictedLabels } from './loss.js';
import { localTerms, patchMask } from './outer-step.js';
import { localSearchGradient } from './perturbation.js';
import { IbauPool } from './pool.js';
import { exactSecondOrder, finiteDifferenceSecondOrder } from './second-order.js';

useThreads();

const weights = (m: GraphModel): number[] => m.graph.nodes.flatMap((n) => Object.values(n.params).flatMap((v) => Array.from(v.dataSync())));
const values = (ts: readonly tf.Tensor[]): number[] => ts.flatMap((t) => Array.from(t.dataSync()));
const maxDiff = (a: readonly number[], b: readonly number[]): number => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
const scale = (a: readonly number[]): number => Math.max(...a.map(Math.abs));

describe('I-BAU on a pool of workers', () => {
  for (const kind of ['exact', 'finite-difference'] as const) {
    it(`sums the shards' gradients and ${kind} products to this thread's, up to float rounding`, async () => {
      const { ctx, dispose } = await tinyDefenseContext();
      const model = ctx.fp;
      const { variables, keys } = variableKeys(model);
      const x = ctx.batches[0];
      const y = predictedLabels(model, x);
      const innerX = tf.slice(ctx.batches[1], 0, 21);
      const inner = { model, vars: variables, x: innerX, y: predictedLabels(model, innerX), reg: 1e-3 };
      const delta = tf.variable(tf.randomNormal([1, ...model.inputShape], 0, 0.3, 'float32', 7), true);
      const v = tf.randomNormal([1, ...model.inputShape], 0, 1, 'float32', 8);
      const mask = patchMask(x.shape[0], 0.5, 3);
      const local = localTerms(model, ctx.hooks, variables, kind === 'exact' ? exactSecondOrder(inner) : finiteDifferenceSecondOrder(inner));
      setRunThreads(2);
      const pool = await IbauPool.open(model, variables, keys, inner, kind);
      if (!pool) throw new Error('no pool');
      try {
        const tensors = tf.memory().numTensors;
        const pairs: [number[], number[]][] = [];
        for (const terms of [local, pool]) {
          const o = await terms.outer({ x, y }, mask, delta);
          const hv = await terms.second.hvp(delta, v);
          const mixed = await terms.second.mixed(delta, v);
          const search = await (terms === pool ? pool.searchGradient(x, delta, 1e-3) : localSearchGradient(model)(x, delta, 1e-3));
          pairs.push([[o.loss, ...values(o.gTheta), ...values([o.gDelta])], [...values([hv]), ...values(mixed), ...values([search])]]);
          tf.dispose([...o.gTheta, o.gDelta, hv, ...mixed, search]);
        }
        expect(tf.memory().numTensors).toBe(tensors);
        const [one, two] = pairs;
        for (let part = 0; part < 2; part++) {
          expect(scale(one[part])).toBeGreaterThan(0);
          expect(maxDiff(two[part], one[part])).toBeLessThan(1e-4 * scale(one[part]) + (kind === 'exact' ? 1e-6 : 1e-3));
        }
      } finally {
        await pool.close();
        tf.dispose([y, innerX, inner.y, delta, v, mask]);
        dispose();
      }
    });
  }

  it('unlearns the same model twice for the same seed, near the one-thread model, leaking no tensor here or on the workers', async () => {
    const options = { rounds: '2', batchSize: '64', innerBatchSize: '16', patchPortion: '0.5', normBound: '3' };
    const { ctx, dispose } = await tinyDefenseContext({ options });
    const on = async (threads: number): Promise<number[]> => {
      setRunThreads(threads);
      const checkpoint = memoryCheckpoint();
      const repaired = (await ibau.run({ ...ctx, checkpoint })) as GraphModel;
      const w = weights(repaired);
      repaired.dispose();
      checkpoint.dispose();
      return w;
    };
    const one = await on(1);
    await on(2);
    const workersBefore = await idleWorkerTensors();
    const tensors = tf.memory().numTensors;
    const two = await on(2);
    expect(await on(2)).toEqual(two);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(await idleWorkerTensors()).toEqual(workersBefore);
    const start = weights(new GraphModel(cloneGraph(ctx.fp.graph)));
    expect(maxDiff(one, start)).toBeGreaterThan(1e-4);
    // The workers ran: their float sums differ from one thread's in the last bits.
    expect(two).not.toEqual(one);
    expect(maxDiff(two, one)).toBeLessThan(1e-2 * maxDiff(one, start));
    dispose();
  });
});
