import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { idleWorkerTensors, useThreads } from '../../../../test/helpers/threads.js';
import { HostRows } from '../defense/layerwise/host-rows.js';
import { Adam } from '../train/optimizers/adam.js';
import { mulberry32 } from '../data/random.js';
import { ReplicaRun } from './adam-replicas.js';
import { StepPool } from './step-pool.js';
// @ts-expect-error: a JavaScript worker module without declarations
import { leastSquaresGradient } from './testing/least-squares-task.mjs';

const TASK = { url: new URL('./testing/least-squares-task.mjs', import.meta.url).href, exportName: 'createLeastSquaresTask' };

type Gradient = (x: HostRows, y: HostRows, w: tf.Variable, rows: ArrayLike<number>, share: number) => { value: number; grad: tf.Tensor };
const referenceGradient = leastSquaresGradient as Gradient;

useThreads();

function problem(): { x: HostRows; y: HostRows; batches: number[][] } {
  const rng = mulberry32(5);
  const x = new HostRows(Float32Array.from({ length: 64 * 3 }, () => rng() * 2 - 1), [64, 3]);
  const y = new HostRows(Float32Array.from({ length: 64 }, (_, i) => x.values[3 * i] - 2 * x.values[3 * i + 2] + 0.5), [64, 1]);
  // Batches of 7: the two workers' shards are of 4 and 3 rows.
  const batches = Array.from({ length: 30 }, () => Array.from({ length: 7 }, () => Math.floor(rng() * 64)));
  return { x, y, batches };
}

describe('ReplicaRun and AdamReplica', () => {
  it('train the variable as one thread does, batch by batch, and leave no tensor on the workers', async () => {
    const { x, y, batches } = problem();
    const workersBefore = await idleWorkerTensors();
    const reference = tf.variable(tf.zeros([3, 1]));
    const adam = new Adam([reference]);
    const referenceLosses = batches.map((rows) => {
      const { value, grad } = referenceGradient(x, y, reference, rows, 1);
      adam.step([grad], 0.05);
      grad.dispose();
      return value;
    });
    const pool = (await StepPool.start(2))!;
    const trained = tf.variable(tf.zeros([3, 1]));
    try {
      const run = await ReplicaRun.start(pool, TASK, trained, (replica) => ({ x: x.shared(), y: y.shared(), replica, failOnRow: -1 }));
      const losses = [...(await run.steps(batches.slice(0, 10), 0.05, 0)), ...(await run.steps(batches.slice(10), 0.05, 10))];
      losses.forEach((loss, i) => expect(loss).toBeCloseTo(referenceLosses[i], 5));
      await run.call('publish');
      run.copyValues(trained);
      Array.from(trained.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(reference.dataSync()[i], 5));
    } finally {
      await pool.close();
    }
    expect(await idleWorkerTensors()).toEqual(workersBefore);
    tf.dispose([reference, trained]);
    adam.dispose();
  });

  it('give the whole pool\'s values when some calls take one worker (the other catches up before it is needed)', async () => {
    const { x, y, batches } = problem();
    const pool = (await StepPool.start(2))!;
    const whole = tf.variable(tf.zeros([3, 1]));
    const mixed = tf.variable(tf.zeros([3, 1]));
    try {
      const init = (replica: unknown) => ({ x: x.shared(), y: y.shared(), replica, failOnRow: -1 });
      const train = async (into: tf.Variable, workers: readonly number[]): Promise<number[]> => {
        const run = await ReplicaRun.start(pool, TASK, into, init);
        const losses: number[] = [];
        for (let c = 0; c < workers.length; c++) losses.push(...(await run.steps(batches.slice(5 * c, 5 * c + 5), 0.05, 5 * c, workers[c])));
        await run.call('publish');
        run.copyValues(into);
        return losses;
      };
      const wholeLosses = await train(whole, [2, 2, 2, 2, 2, 2]);
      // One worker for two calls, both again (a catch-up), one, both.
      const mixedLosses = await train(mixed, [1, 1, 2, 1, 2, 2]);
      expect(mixedLosses).toEqual(wholeLosses);
      expect(Array.from(mixed.dataSync())).toEqual(Array.from(whole.dataSync()));
    } finally {
      await pool.close();
      tf.dispose([whole, mixed]);
    }
  });

  it('reject a call whose step fails on one worker, without leaving the other at the barrier', async () => {
    const { x, y, batches } = problem();
    const pool = (await StepPool.start(2))!;
    const trained = tf.variable(tf.zeros([3, 1]));
    try {
      // The row sits in the second worker's shard of the fifth batch.
      const failOnRow = batches[4][6];
      const run = await ReplicaRun.start(pool, TASK, trained, (replica) => ({ x: x.shared(), y: y.shared(), replica, failOnRow }));
      await expect(run.steps(batches.slice(0, 10), 0.05, 0)).rejects.toThrow(/fails|failed/);
    } finally {
      await pool.close();
      trained.dispose();
    }
  });
});
