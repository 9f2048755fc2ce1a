import * as tf from '@tensorflow/tfjs-core';
import { initBackend, weightParamOf, type UnitReport } from '@qcb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_W4A4, tinyDefenseContext } from '../../../test/helpers/defense-context.js';
import { createLac, lac } from './index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('LAC', () => {
  it('lowers the reconstruction loss of every unit and leaves every corrected weight on its grid', async () => {
    // 3-bit weights everywhere, 8-bit activations: every unit's error is mostly weight error, which LAC corrects.
    const profile = { ...TEST_W4A4, name: 'w3a8', weights: { ...TEST_W4A4.weights, bits: 3 }, activations: { ...TEST_W4A4.activations!, bits: 8 }, firstLastAt8Bits: false };
    const { ctx, dispose } = await tinyDefenseContext({ profile, options: { iterations: 300, evalEvery: 50, patience: 0 } });
    const reports: UnitReport[] = [];
    ctx.hooks.calibration.unitDone.tapPromise('test', async (_u, r) => void reports.push(r));
    const purified = await lac.run(ctx);
    if (!('parts' in purified)) throw new Error('LAC returns a quantized model');
    expect(reports).toHaveLength(purified.model.units().length);
    for (const r of reports) expect(r.finalLoss!).toBeLessThan(r.initialLoss!);
    for (const node of purified.model.graph.nodes.filter((n) => weightParamOf(n))) {
      const p = purified.parts.weights.get(node.name)!;
      const w = node.params[weightParamOf(node)!].dataSync();
      const channels = p.scale.length;
      w.forEach((v, i) => {
        const level = v / p.scale[i % channels] + p.zeroPoint[i % channels];
        expect(Math.abs(level - Math.round(level))).toBeLessThan(1e-3);
      });
    }
    // The fp model is untouched.
    expect(purified.model).not.toBe(ctx.fp);
    purified.model.dispose();
    dispose();
  });

  it('restarts from the best offset with half the step on a plateau, never ending worse than without', async () => {
    const profile = { ...TEST_W4A4, name: 'w3a8', weights: { ...TEST_W4A4.weights, bits: 3 }, activations: { ...TEST_W4A4.activations!, bits: 8 }, firstLastAt8Bits: false };
    const run = async (restarts: number): Promise<UnitReport[]> => {
      const { ctx, dispose } = await tinyDefenseContext({ profile, options: { iterations: 400, evalEvery: 10, patience: 2, restarts } });
      const reports: UnitReport[] = [];
      ctx.hooks.calibration.unitDone.tapPromise('test', async (_u, r) => void reports.push(r));
      const purified = await lac.run(ctx);
      if ('parts' in purified) purified.model.dispose();
      dispose();
      return reports;
    };
    const plain = await run(0);
    const restarted = await run(2);
    // The first unit sees the same inputs in both runs: restarts only add steps after the
    // plain run's stopping point, and keep the best offset seen.
    expect(restarted[0].steps!).toBeGreaterThan(plain[0].steps!);
    expect(restarted[0].finalLoss!).toBeLessThanOrEqual(plain[0].finalLoss!);
    for (const r of restarted) expect(r.finalLoss!).toBeLessThanOrEqual(r.initialLoss!);
    expect(restarted[0].finalLoss!).toBeLessThan(restarted[0].initialLoss!);
  });

  it('trains on the cache shifted per channel with channelShiftSteps, except where the input is in full precision', async () => {
    const initialLosses = async (channelShiftSteps: number, profile = TEST_W4A4): Promise<number[]> => {
      const { ctx, dispose } = await tinyDefenseContext({ profile, options: { iterations: 20, evalEvery: 5, patience: 0, channelShiftSteps } });
      const losses: number[] = [];
      ctx.hooks.calibration.unitDone.tapPromise('test', async (_u, r) => void losses.push(r.initialLoss!));
      const before = tf.memory().numTensors;
      const purified = await lac.run(ctx);
      if ('parts' in purified) purified.model.dispose();
      // Shifted copies (the scored cache, every training batch) are all released.
      expect(tf.memory().numTensors).toBe(before);
      dispose();
      return losses;
    };
    // academic-w4a4 quantizes every unit's input, the image included: every cache moves.
    const plain = await initialLosses(0);
    const shifted = await initialLosses(1);
    shifted.forEach((l, i) => expect(l).toBeGreaterThan(plain[i]));
    const weightsOnly = { ...TEST_W4A4, name: 'w4', activations: null };
    expect(await initialLosses(1, weightsOnly)).toEqual(await initialLosses(0, weightsOnly));
  });

  it('runs with a weights-only profile (no input quantizers), leaving the defender batches intact', async () => {
    const profile = { ...TEST_W4A4, name: 'w4', activations: null };
    const { ctx, dispose } = await tinyDefenseContext({ profile, options: { iterations: 5, evalEvery: 5, patience: 0 } });
    const purified = await lac.run(ctx);
    expect(ctx.batches.every((b) => !b.isDisposed)).toBe(true);
    if ('parts' in purified) purified.model.dispose();
    dispose();
  });

  it('takes another distance as a pluggable loss term, and other plugins can add terms', async () => {
    const names = new Set<string>();
    const l1 = createLac({ distance: (o, t) => tf.mean(tf.abs(tf.sub(o, t))) as tf.Scalar, termName: 'lac:l1' });
    const { ctx, dispose } = await tinyDefenseContext({ options: { iterations: 5, evalEvery: 5, patience: 0 } });
    ctx.hooks.loss.terms.tap('probe', (terms) => {
      terms.forEach((t) => names.add(t.name));
      return [...terms, { name: 'probe:zero', value: tf.scalar(0), weight: 1 }];
    });
    const purified = await l1.run(ctx);
    expect([...names]).toEqual(['lac:l1']);
    if ('parts' in purified) purified.model.dispose();
    dispose();
  });
});

describe('LAC checkpoints', () => {
  it('resumes after the last finished unit to exactly the weights of an uninterrupted run', async () => {
    const { GraphModel, cloneGraph } = await import('@qcb/core');
    const options = { iterations: 40, evalEvery: 20, patience: 0 };
    const straight = await tinyDefenseContext({ options });
    const a = await lac.run(straight.ctx);

    let saved: { done: number; model: InstanceType<typeof GraphModel> } | null = null;
    const interrupted = await tinyDefenseContext({ options });
    const withCheckpoint = (ctx: typeof interrupted.ctx, stopAfter: number | null) => ({
      ...ctx,
      checkpoint: {
        load: async () => (saved ? { done: saved.done, model: new GraphModel(cloneGraph(saved.model.graph)) } : null),
        save: async (done: number, model: InstanceType<typeof GraphModel>) => {
          saved?.model.dispose();
          saved = { done, model: new GraphModel(cloneGraph(model.graph)) };
          if (done === stopAfter) throw new Error('interrupted');
        },
      },
    });
    await expect(lac.run(withCheckpoint(interrupted.ctx, 3))).rejects.toThrow('interrupted');
    const b = await lac.run(withCheckpoint(interrupted.ctx, null));
    const weights = (m: { model: { variables: (f: () => boolean) => tf.Variable[] } }) => m.model.variables(() => true).flatMap((v) => Array.from(v.dataSync()));
    if (!('parts' in a) || !('parts' in b)) throw new Error('LAC returns quantized models');
    expect(weights(b)).toEqual(weights(a));
    a.model.dispose();
    b.model.dispose();
    straight.dispose();
    interrupted.dispose();
  });
});
