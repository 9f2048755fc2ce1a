import * as tf from '@tensorflow/tfjs-core';
import { holdThread, setRunThreads, weightParamOf, type QuantizedModel, type UnitReport } from '@qcb/core';
import { describe, expect, it } from 'vitest';
import { tinyDefenseContext } from '../../../test/helpers/defense-context.js';
import { idleWorkerTensors, useThreads } from '../../../test/helpers/threads.js';
import { lac } from './index.js';

// With --threads 2 each unit's steps run on two workers (parallel-unit.ts; they run dist/, which pnpm test builds first).
useThreads();

async function purifyWith(threads: number, channelShiftSteps = 0): Promise<{ reports: UnitReport[]; weights: number[][]; firstLosses: number[] }> {
  setRunThreads(threads);
  const { ctx, dispose } = await tinyDefenseContext({ options: { iterations: 40, evalEvery: 10, patience: 0, channelShiftSteps } });
  const reports: UnitReport[] = [];
  ctx.hooks.calibration.unitDone.tapPromise('test', async (_u, r) => void reports.push(r));
  // Each unit's first step starts from alpha = 0 on both paths: its loss depends only on the batch and its shifts.
  const firstLosses: number[] = [];
  ctx.hooks.calibration.step.tap('test', (s) => void (s.step === 1 && firstLosses.push(s.loss ?? NaN)));
  const purified = (await lac.run(ctx)) as QuantizedModel;
  const weights = purified.model.graph.nodes.filter((n) => weightParamOf(n)).map((n) => Array.from(n.params[weightParamOf(n)!].dataSync()));
  purified.model.dispose();
  dispose();
  return { reports, weights, firstLosses };
}

describe('LAC on two threads', () => {
  it('is reproducible: the same seed and thread count give the same corrected weights and losses', async () => {
    const a = await purifyWith(2);
    const b = await purifyWith(2);
    expect(b.reports).toEqual(a.reports);
    expect(b.weights).toEqual(a.weights);
  });

  it('gives the same figures while other work holds a thread (its steps and scorings then on one worker)', async () => {
    const whole = await purifyWith(2);
    const release = holdThread();
    let held: Awaited<ReturnType<typeof purifyWith>>;
    try {
      held = await purifyWith(2);
    } finally {
      release();
    }
    expect(held.reports).toEqual(whole.reports);
    expect(held.weights).toEqual(whole.weights);
  });

  it('scores the cache as one thread does, and leaks no tensor beyond what the one-thread run leaves, nor on the workers', async () => {
    const workersBefore = await idleWorkerTensors();
    // The tiny context itself leaves its dataset behind: compare against the one-thread run.
    let before = tf.memory().numTensors;
    const single = await purifyWith(1);
    const singleLeft = tf.memory().numTensors - before;
    before = tf.memory().numTensors;
    const parallel = await purifyWith(2);
    expect(tf.memory().numTensors - before).toBe(singleLeft);
    expect(await idleWorkerTensors()).toEqual(workersBefore);
    // Alpha starts at 0 on both: the first unit's initial score differs only by float summation order.
    expect(parallel.reports[0].initialLoss!).toBeCloseTo(single.reports[0].initialLoss!, 6);
    expect(parallel.reports.length).toBe(single.reports.length);
  });

  it('trains with the channel shift on the workers too: reproducible, each row shifted as one thread shifts it', async () => {
    const a = await purifyWith(2, 0.5);
    const b = await purifyWith(2, 0.5);
    expect(b.reports).toEqual(a.reports);
    expect(b.weights).toEqual(a.weights);
    const single = await purifyWith(1, 0.5);
    // The same shifted cache is scored; only the float summation order differs.
    expect(a.reports[1].initialLoss!).toBeCloseTo(single.reports[1].initialLoss!, 5);
    // Each unit's first batch, shifted on two workers, has the one-thread loss.
    expect(a.firstLosses.length).toBe(single.firstLosses.length);
    a.firstLosses.forEach((loss, i) => expect(loss).toBeCloseTo(single.firstLosses[i], 5));
  });
});
