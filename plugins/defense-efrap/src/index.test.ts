import * as tf from '@tensorflow/tfjs-core';
import {
  GraphModel, QuantizedModel, channelsLastView, initBackend, weightParamOf,
  type CalibrationRun, type UnitContext, type UnitReport,
} from '@qcb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyDefenseContext } from '../../../test/helpers/defense-context.js';
import { memoryCheckpoint } from '../../../test/helpers/memory-checkpoint.js';
import { efrap } from './index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const weights = (m: GraphModel): number[][] => m.graph.nodes.flatMap((n) => Object.values(n.params).map((v) => Array.from(v.dataSync())));

/** Per weight of a quantized node: its level before the zero point, its floor and its nearest level (clamped), channels-last. */
function levelsOf(q: QuantizedModel, fp: GraphModel, name: string): { learned: number[]; floor: number[]; nearest: number[]; qmin: number; qmax: number } {
  const p = q.parts.weights.get(name)!;
  return tf.tidy(() => {
    const node = q.model.node(name);
    const param = weightParamOf(node)!;
    const scale = p.axis === null ? tf.scalar(p.scale[0]) : tf.tensor1d(p.scale);
    const zp = p.axis === null ? tf.scalar(p.zeroPoint[0]) : tf.tensor1d(p.zeroPoint);
    const clamp = (t: tf.Tensor): number[] => Array.from(tf.clipByValue(tf.add(t, zp), p.qmin, p.qmax).dataSync());
    const original = tf.div(channelsLastView(node, fp.node(name).params[param]), scale);
    const learned = Array.from(tf.add(tf.div(channelsLastView(node, node.params[param]), scale), zp).dataSync());
    return { learned, floor: clamp(tf.floor(original)), nearest: clamp(tf.round(original)), qmin: p.qmin, qmax: p.qmax };
  });
}

describe('EFRAP', () => {
  it('learns, unit by unit through the calibration hooks, a rounding on the fixed grid: each weight its nearest level or the neighbour', async () => {
    const { ctx, fp, dispose } = await tinyDefenseContext({ options: { iterations: '150' } });
    const events: string[] = [];
    const reports: UnitReport[] = [];
    let steps = 0;
    ctx.hooks.calibration.runStart.tapPromise('probe', async (run: CalibrationRun) => void events.push(`start ${run.defense} ${run.units.length}`));
    ctx.hooks.calibration.unitStart.tapPromise('probe', async (u: UnitContext) => void events.push(`unit ${u.unit.head}`));
    ctx.hooks.calibration.unitInputs.tapPromise('probe', async (inputs, u) => {
      // What PDA needs: the cache, and the unit run as the quantized model runs it.
      expect(inputs).toHaveLength(ctx.batches.length);
      tf.tidy(() => {
        expect(u.runUnit(inputs[0]).shape[0]).toBe(inputs[0].shape[0]);
      });
      events.push('inputs');
      return inputs;
    });
    ctx.hooks.calibration.step.tap('probe', () => void steps++);
    ctx.hooks.calibration.unitDone.tapPromise('probe', async (_u, r) => void reports.push(r));
    ctx.hooks.calibration.runDone.tapPromise('probe', async () => void events.push('done'));
    const checkpoint = memoryCheckpoint();
    const before = weights(fp);
    const tensors = tf.memory().numTensors;
    const result = await efrap.run({ ...ctx, checkpoint });
    if (!(result instanceof QuantizedModel)) throw new Error('EFRAP returns a QuantizedModel');
    expect(efrap.operatesOn).toBe('quantized');
    const units = result.model.units();
    expect(units).toHaveLength(10);
    expect(events).toEqual([`start efrap 10`, ...units.flatMap((u) => [`unit ${u.head}`, 'inputs']), 'done']);
    expect(steps).toBe(10 * 150);
    expect(reports.every((r) => r.steps === 150)).toBe(true);
    expect(checkpoint.saves.map((s) => s.done)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // The grid (scales, zero points, activation calibration) is the naive quantization's.
    expect(result.parts.weights).toBe(ctx.quantized.parts.weights);
    expect(result.parts.activations).toBe(ctx.quantized.parts.activations);
    expect(result.parts.weightsOnGrid).toBe(true);
    expect(result.model).not.toBe(fp);
    expect(weights(fp)).toEqual(before);
    let flips = 0;
    let total = 0;
    for (const u of units) {
      const { learned, floor, nearest, qmin, qmax } = levelsOf(result, fp, u.head);
      learned.forEach((level, i) => {
        const integer = Math.round(level);
        expect(Math.abs(level - integer)).toBeLessThan(1e-3);
        expect(integer).toBeGreaterThanOrEqual(qmin);
        expect(integer).toBeLessThanOrEqual(qmax);
        expect(Math.abs(integer - nearest[i])).toBeLessThanOrEqual(1);
        // Exactly one of the two levels around the weight (the same one when both clamp).
        expect([floor[i], Math.min(qmax, floor[i] + 1)]).toContain(integer);
        if (integer !== nearest[i]) flips++;
      });
      total += learned.length;
    }
    // Error-guided flipping does flip some roundings, and not all of them.
    expect(flips).toBeGreaterThan(0);
    expect(flips).toBeLessThan(total);
    checkpoint.dispose();
    result.model.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    dispose();
  });

  it('flips the roundings with the largest truncation errors, and with the flip term off only lowers the reconstruction of every unit', async () => {
    const { ctx, fp, dispose } = await tinyDefenseContext({ options: { iterations: '150' } });
    const result = await efrap.run(ctx) as QuantizedModel;
    // Distance of w / s from its nearest level, in steps (0 to 0.5): the truncation error.
    const flipped: number[] = [];
    const kept: number[] = [];
    for (const u of result.model.units()) {
      const { learned, nearest } = levelsOf(result, fp, u.head);
      const p = result.parts.weights.get(u.head)!;
      const distance = tf.tidy(() => {
        const node = fp.node(u.head);
        const x = tf.div(channelsLastView(node, node.params[weightParamOf(node)!]), p.axis === null ? tf.scalar(p.scale[0]) : tf.tensor1d(p.scale));
        return Array.from(tf.abs(tf.sub(x, tf.round(x))).dataSync());
      });
      learned.forEach((level, i) => (Math.round(level) === nearest[i] ? kept : flipped).push(distance[i]));
    }
    const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(flipped)).toBeGreaterThan(mean(kept) + 0.1);
    result.model.dispose();
    dispose();

    const plain = await tinyDefenseContext({ options: { iterations: '150', flipWeight: '0' } });
    const reports: UnitReport[] = [];
    plain.ctx.hooks.calibration.unitDone.tapPromise('probe', async (_u, r) => void reports.push(r));
    const preserved = await efrap.run(plain.ctx) as QuantizedModel;
    expect(reports).toHaveLength(10);
    reports.forEach((r) => expect(r.finalLoss!).toBeLessThanOrEqual(r.initialLoss! + 1e-7));
    expect(reports.some((r) => r.finalLoss! < r.initialLoss!)).toBe(true);
    preserved.model.dispose();
    plain.dispose();
  });

  it('resumes after the last finished unit to exactly the weights of an uninterrupted run', async () => {
    const options = { iterations: '40' };
    const straight = await tinyDefenseContext({ options });
    const full = await efrap.run(straight.ctx) as QuantizedModel;
    const interrupted = await tinyDefenseContext({ options });
    const checkpoint = memoryCheckpoint(3);
    await expect(efrap.run({ ...interrupted.ctx, checkpoint })).rejects.toThrow('interrupted');
    const resumed = await efrap.run({ ...interrupted.ctx, checkpoint }) as QuantizedModel;
    expect(checkpoint.saves.map((s) => s.done)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(weights(resumed.model)).toEqual(weights(full.model));
    [full, resumed].forEach((q) => q.model.dispose());
    checkpoint.dispose();
    straight.dispose();
    interrupted.dispose();
  });

  it('declares its option keys and fails at once on a bad value', async () => {
    expect(efrap.optionKeys).toEqual(['iterations', 'batchSize', 'lr', 'roundWeight', 'flipWeight', 'bRange', 'warmUp', 'flipGuide', 'quantizeOutput']);
    const { ctx, dispose } = await tinyDefenseContext({ options: { flipWeight: '-1' } });
    await expect(efrap.run(ctx)).rejects.toThrow('--option flipWeight must be a number >= 0, got "-1"');
    dispose();
  });
});
