import * as tf from '@tensorflow/tfjs-core';
import { StepPool, initBackend, setRunThreads, weightParamOf, type QuantizedModel, type UnitReport } from '@qcb/core';
import { lac } from '@qcb/defense-lac';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyDefenseContext } from '../../../test/helpers/defense-context.js';
import pdaModule from './index.js';

// With --threads 2 each unit's cache and PDA run on two workers (the compiled dist/, which pnpm test builds first).
beforeAll(async () => {
  await initBackend('wasm');
});

afterAll(async () => {
  setRunThreads(1);
  await StepPool.closeIdle();
});

interface Outcome {
  readonly reports: UnitReport[];
  readonly weights: number[][];
  /** Each unit's cached inputs after PDA. */
  readonly inputs: number[][][];
  /** Whether each unit offered the pool to PDA. */
  readonly pooled: boolean[];
}

async function lacPdaWith(threads: number): Promise<Outcome> {
  setRunThreads(threads);
  const { ctx, dispose } = await tinyDefenseContext({ modules: [pdaModule], augmentations: ['pda'], options: { iterations: 20, evalEvery: 10, patience: 0, channelShiftSteps: 0 } });
  const reports: UnitReport[] = [];
  const inputs: number[][][] = [];
  const pooled: boolean[] = [];
  ctx.hooks.calibration.unitDone.tapPromise('test', async (_u, r) => void reports.push(r));
  // Taps run in order: this one sees the inputs PDA handed on.
  ctx.hooks.calibration.unitInputs.tapPromise('capture', async (pieces, uctx) => {
    pooled.push(uctx.mapPieces !== undefined);
    inputs.push(pieces.map((t) => Array.from(t.dataSync())));
    return pieces;
  });
  const purified = (await lac.run(ctx)) as QuantizedModel;
  const weights = purified.model.graph.nodes.filter((n) => weightParamOf(n)).map((n) => Array.from(n.params[weightParamOf(n)!].dataSync()));
  purified.model.dispose();
  dispose();
  return { reports, weights, inputs, pooled };
}

describe('LAC + PDA on two threads', () => {
  it('gives the same report, weights and PDA inputs twice, and the first unit the one-thread inputs, without leaking', async () => {
    let before = tf.memory().numTensors;
    const single = await lacPdaWith(1);
    const singleLeft = tf.memory().numTensors - before;
    before = tf.memory().numTensors;
    const a = await lacPdaWith(2);
    expect(tf.memory().numTensors - before).toBe(singleLeft);
    const b = await lacPdaWith(2);
    expect(single.pooled.some(Boolean)).toBe(false);
    expect(a.pooled.every(Boolean)).toBe(true);
    expect(b.reports).toEqual(a.reports);
    expect(b.weights).toEqual(a.weights);
    expect(b.inputs).toEqual(a.inputs);
    // Unit 1's cache and PDA depend on no correction yet: each piece is the one-thread piece.
    expect(a.inputs[0]).toEqual(single.inputs[0]);
    expect(a.reports.length).toBe(single.reports.length);
    a.reports.forEach((r, i) => expect(r.finalLoss!).toBeCloseTo(single.reports[i].finalLoss!, 3));
  });
});
