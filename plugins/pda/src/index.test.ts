import * as tf from '@tensorflow/tfjs-core';
import { Engine, initBackend, startDefenseRun, type BatchNormAttrs, type CalibrationRun, type GraphModel, type GraphNode } from '@qcb/core';
import { lac } from '@qcb/defense-lac';
import { resnetSmall, vit } from '@qcb/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyDefenseContext } from '../../../test/helpers/defense-context.js';
import pdaModule, { PDA_FAST, bnStatisticsLoss, resolvePdaOptions, unitBall } from './index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('PDA per unit (with LAC)', () => {
  it('moves each unit’s BN input statistics towards the running statistics, inside the gamma ball', async () => {
    const { ctx, dispose } = await tinyDefenseContext({ modules: [pdaModule], augmentations: ['pda'], options: { iterations: 3, evalEvery: 3, patience: 0 } });
    const checked: string[] = [];
    // Runs after PDA (taps run in order): compare each unit's inputs before and after.
    let before: tf.Tensor[] = [];
    ctx.hooks.calibration.unitInputs.intercept({
      call: (inputs: tf.Tensor[]) => {
        tf.dispose(before);
        before = inputs.map((t) => tf.clone(t));
      },
    });
    ctx.hooks.calibration.unitInputs.tapPromise('check', async (inputs, uctx) => {
      const bns = uctx.unit.nodes.map((n) => uctx.run.work.node(n)).filter((n) => n.op === 'batchNorm') as GraphNode<BatchNormAttrs>[];
      if (bns.length === 0) return inputs;
      const loss = (x: tf.Tensor): number => tf.tidy(() => {
        const seen = new Map<string, tf.Tensor>();
        uctx.runUnit(x, (node, ins) => void seen.set(node.name, ins[0]));
        return bns.map((bn) => bnStatisticsLoss(bn, seen.get(bn.name)!).dataSync()[0]).reduce((a, b) => a + b);
      });
      const { gamma } = unitBall(resolvePdaOptions('fast'), uctx.inputQuant);
      inputs.forEach((x, i) => {
        expect(loss(x)).toBeLessThan(loss(before[i]));
        const dist = tf.tidy(() => tf.max(tf.abs(tf.sub(x, before[i]))).dataSync()[0]);
        expect(dist).toBeLessThanOrEqual(gamma * (1 + 1e-4));
        expect(dist).toBeGreaterThan(0);
      });
      checked.push(uctx.unit.head);
      return inputs;
    });
    const purified = await lac.run(ctx);
    expect(checked.length).toBeGreaterThan(3);
    tf.dispose(before);
    if ('parts' in purified) purified.model.dispose();
    dispose();
  });

  it('is applied only to the runs that select it', async () => {
    const engine = await Engine.create([pdaModule]);
    const idle = startDefenseRun(engine, { defense: 'test', augmentations: [], preset: 'fast', options: {}, seed: 0 });
    expect(idle.hooks.calibration.unitInputs.taps).toHaveLength(0);
    expect(idle.hooks.data.batch.taps).toHaveLength(0);
    const selected = startDefenseRun(engine, { defense: 'test', augmentations: ['pda'], preset: 'fast', options: {}, seed: 0 });
    expect(selected.hooks.calibration.unitInputs.taps.map((t) => t.name)).toEqual(['pda']);
    expect(selected.hooks.data.batch.taps.map((t) => t.name)).toEqual(['pda']);
    expect(() => startDefenseRun(engine, { defense: 'test', augmentations: ['nope'], preset: 'fast', options: {}, seed: 0 })).toThrow(/unknown augmentation "nope" \(available: pda\)/);
  });
});

describe('PDA on units and models without BatchNorm', () => {
  async function pdaRun(): Promise<{ run: ReturnType<typeof startDefenseRun>; notes: string[] }> {
    const notes: string[] = [];
    const engine = await Engine.create([pdaModule]);
    const run = startDefenseRun(engine, { defense: 'test', augmentations: ['pda'], preset: 'fast', options: {}, seed: 0, note: (line) => notes.push(line) });
    return { run, notes };
  }
  const calibrationRun = (model: GraphModel): CalibrationRun => ({ model, work: model, defense: 'test', units: model.units(), augmentations: ['pda'], preset: 'fast' });

  it('says which units have no BN and hands their cached inputs on untouched', async () => {
    const { run, notes } = await pdaRun();
    const model = vit({ inputShape: [8, 8, 1], patchSize: 4, dim: 8, depth: 1, heads: 2, classes: 4 });
    const crun = calibrationRun(model);
    await run.hooks.calibration.runStart.promise(crun);
    expect(notes).toEqual(['pda: 6 of 6 units have no BatchNorm to match (the model has no BatchNorm); their cached inputs are used as they are']);
    const unit = model.units()[1];
    const x = tf.randomNormal([4, 4, 8], 0, 1, 'float32', 1);
    const out = await run.hooks.calibration.unitInputs.promise([x], { run: crun, unit, runUnit: (input, tap) => model.runUnit(unit, input, { tap }), inputQuant: null });
    expect(out[0]).toBe(x);
    expect(x.isDisposed).toBe(false);
    x.dispose();

    const cnn = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8] });
    await run.hooks.calibration.runStart.promise(calibrationRun(cnn));
    expect(notes[1]).toBe('pda: 1 of 10 units have no BatchNorm to match (logits); their cached inputs are used as they are');
    model.dispose();
    cnn.dispose();
  });

  it('says once that a network without BN leaves the training batches as they are', async () => {
    const { run, notes } = await pdaRun();
    const model = vit({ inputShape: [8, 8, 1], patchSize: 4, dim: 8, depth: 1, heads: 2, classes: 4 });
    for (let step = 0; step < 2; step++) {
      const x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', step) as tf.Tensor4D;
      const y = tf.tensor1d([0, 1, 2, 3], 'int32');
      const out = await run.hooks.data.batch.promise({ x, y }, { consumer: 'test', model, epoch: 0, step, preset: 'fast', options: {} });
      expect(out.x).toBe(x);
      tf.dispose([x, y]);
    }
    expect(notes).toEqual(['pda: graph "vit" has no BatchNorm to match; training batches are used as they are']);
    model.dispose();
  });
});

describe('PDA as a batch augmentation', () => {
  it('perturbs a training batch within the ball of the run\'s preset and options, and keeps the labels', async () => {
    for (const [preset, options, radius] of [['fast', {}, PDA_FAST.gamma], ['paper', { 'pda.steps': 5 }, 1e-3], ['fast', { 'pda.gamma': 0.05 }, 0.05]] as const) {
      const { ctx, dispose } = await tinyDefenseContext({ modules: [pdaModule], augmentations: ['pda'], preset, options });
      const x = tf.randomNormal([8, 8, 8, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
      const y = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32');
      const xCopy = tf.clone(x);
      const out = await ctx.hooks.data.batch.promise({ x, y }, { consumer: 'test', model: ctx.fp, epoch: 0, step: 0, preset, options });
      expect(out.y).toBe(y);
      const dist = tf.tidy(() => tf.max(tf.abs(tf.sub(out.x, xCopy))).dataSync()[0]);
      expect(dist).toBeGreaterThan(radius * 0.5);
      expect(dist).toBeLessThanOrEqual(radius * (1 + 1e-4));
      tf.dispose([out.x, y, xCopy]);
      dispose();
    }
  });
});

describe('PDA options', () => {
  it('takes the preset and the run\'s pda.* overrides, and rejects a bad value', async () => {
    const { resolvePdaOptions, PDA_PAPER } = await import('./options.js');
    expect(PDA_PAPER).toEqual({ steps: 500, stepSize: 1e-3, gamma: 1e-3 });
    expect(resolvePdaOptions('paper')).toEqual(PDA_PAPER);
    expect(resolvePdaOptions('fast', { 'pda.gamma': '0.01', 'pda.steps': 500, iterations: 3 })).toEqual({ steps: 500, stepSize: PDA_FAST.stepSize, gamma: 0.01, gammaSteps: 0.35 });
    expect(resolvePdaOptions('fast', { 'pda.gammaSteps': 0 })).toEqual({ steps: PDA_FAST.steps, stepSize: PDA_FAST.stepSize, gamma: PDA_FAST.gamma });
    expect(() => resolvePdaOptions('fast', { 'pda.gamma': 'x' })).toThrow(/pda.gamma/);
  });
});
