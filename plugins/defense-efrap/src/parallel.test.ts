import * as tf from '@tensorflow/tfjs-core';
import { setRunThreads, weightParamOf, type QuantizedModel, type UnitReport } from '@qcb/core';
import { describe, expect, it } from 'vitest';
import { tinyDefenseContext } from '../../../test/helpers/defense-context.js';
import { idleWorkerTensors, useThreads } from '../../../test/helpers/threads.js';
import { efrap } from './index.js';

// With --threads 2 each unit's cache (and PDA, as plugins/pda tests with LAC) and steps run on two workers (parallel-rounding.ts; they run dist/, which pnpm test builds first).
useThreads();

async function purifyWith(threads: number): Promise<{ reports: UnitReport[]; weights: number[][]; firstLosses: number[] }> {
  setRunThreads(threads);
  const { ctx, dispose } = await tinyDefenseContext({ options: { iterations: 60 } });
  const reports: UnitReport[] = [];
  ctx.hooks.calibration.unitDone.tapPromise('test', async (_u, r) => void reports.push(r));
  // Each unit's first step starts from the same logits on both paths: its loss depends only on the batch.
  const firstLosses: number[] = [];
  ctx.hooks.calibration.step.tap('test', (s) => void (s.step === 1 && firstLosses.push(s.loss ?? NaN)));
  const purified = (await efrap.run(ctx)) as QuantizedModel;
  const weights = purified.model.graph.nodes.filter((n) => weightParamOf(n)).map((n) => Array.from(n.params[weightParamOf(n)!].dataSync()));
  purified.model.dispose();
  dispose();
  return { reports, weights, firstLosses };
}

describe('EFRAP on two threads', () => {
  it('is reproducible, takes the one-thread first steps, and leaks no tensor here or on the workers', async () => {
    const workersBefore = await idleWorkerTensors();
    let before = tf.memory().numTensors;
    const single = await purifyWith(1);
    const singleLeft = tf.memory().numTensors - before;
    before = tf.memory().numTensors;
    const a = await purifyWith(2);
    expect(tf.memory().numTensors - before).toBe(singleLeft);
    expect(await idleWorkerTensors()).toEqual(workersBefore);
    const b = await purifyWith(2);
    expect(b.reports).toEqual(a.reports);
    expect(b.weights).toEqual(a.weights);
    // The cache and the nearest rounding's score are the one-thread ones; each unit's first
    // batch has the one-thread loss up to the float summation order of the shards.
    expect(a.reports.map((r) => r.initialLoss)).toEqual(single.reports.map((r) => r.initialLoss));
    expect(a.firstLosses.length).toBe(single.firstLosses.length);
    a.firstLosses.forEach((loss, i) => expect(loss).toBeCloseTo(single.firstLosses[i], 4));
  });

});
