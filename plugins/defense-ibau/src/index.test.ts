import * as tf from '@tensorflow/tfjs-core';
import {
  GraphBuilder, GraphModel, cloneGraph, createOptimizer, initBackend, variableKeys, type Batch, type BatchContext,
} from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyDefenseContext } from '../../../test/helpers/defense-context.js';
import { memoryCheckpoint } from '../../../test/helpers/memory-checkpoint.js';
import { ibau } from './index.js';
import { meanCrossEntropy, predictedLabels } from './loss.js';
import { localTerms, outerLoss, outerStep, patchMask } from './outer-step.js';
import { searchPerturbation } from './perturbation.js';
import { exactSecondOrder, finiteDifferenceSecondOrder, supportsExactSecondOrder } from './second-order.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const weights = (m: GraphModel): number[][] => m.graph.nodes.flatMap((n) => Object.values(n.params).map((v) => Array.from(v.dataSync())));

/** Conv, BN, a residual add, a strided conv, pooling and a dense head, with no kink anywhere. */
function smoothResidualNet(): GraphModel {
  const b = new GraphBuilder('smooth', [8, 8, 1], { seed: 4 });
  let x = b.conv2d(b.input('input'), { filters: 4, kernelSize: 3, name: 'c1' });
  x = b.batchNorm(x, { name: 'bn1' });
  x = b.add([x, b.conv2d(x, { filters: 4, kernelSize: 3, name: 'c2' })], 'add');
  x = b.conv2d(x, { filters: 6, kernelSize: 3, strides: 2, name: 'c3' });
  return new GraphModel(b.build(b.dense(b.globalAvgPool(x, 'gap'), { units: 4, name: 'logits' })));
}

const ctxFreeResnet = (): GraphModel => resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8] });

/** Max pooling saves its output for its gradient: not twice differentiable on tfjs. */
function pooledNet(): GraphModel {
  const b = new GraphBuilder('pooled', [8, 8, 1], { seed: 4 });
  const x = b.maxPool(b.conv2d(b.input('input'), { filters: 4, kernelSize: 3, activation: 'relu', name: 'c1' }), 2);
  return new GraphModel(b.build(b.dense(b.flatten(x), { units: 4, name: 'logits' })));
}

describe('I-BAU inner problem', () => {
  it('finds a perturbation that raises the loss it maximises and lies inside its L2 ball', async () => {
    const { ctx, dispose } = await tinyDefenseContext();
    const x = ctx.batches[0];
    const labels = predictedLabels(ctx.fp, x);
    const lossWith = (delta: tf.Tensor | null): number => tf.tidy(() => meanCrossEntropy(ctx.fp.predict(delta ? tf.add(x, delta) : x), labels).dataSync()[0]);
    // Eight passes over the cached batches, made as they are consumed: 16 SGD steps.
    function* batches(): Generator<Batch> {
      for (let pass = 0; pass < 8; pass++) for (const b of ctx.batches) yield { x: tf.clone(b), y: predictedLabels(ctx.fp, b) };
    }
    const norm = (t: tf.Tensor): number => tf.tidy(() => tf.norm(t).dataSync()[0]);
    const tensors = tf.memory().numTensors;
    const free = await searchPerturbation(ctx.fp, batches(), { lr: 10, reg: 1e-3, steps: 0, normBound: 0 });
    const bound = norm(free) / 2;
    const bounded = await searchPerturbation(ctx.fp, batches(), { lr: 10, reg: 1e-3, steps: 0, normBound: bound });
    const short = await searchPerturbation(ctx.fp, batches(), { lr: 10, reg: 1e-3, steps: 3, normBound: 0 });
    expect(tf.memory().numTensors).toBe(tensors + 3);
    expect(free.shape).toEqual([1, 8, 8, 1]);
    expect(bound).toBeGreaterThan(0);
    // The projection scales the same search onto the sphere of the bound.
    expect(norm(bounded)).toBeCloseTo(bound, 4);
    expect(tf.tidy(() => tf.sum(tf.mul(free, bounded)).dataSync()[0]) / (norm(free) * bound)).toBeCloseTo(1, 4);
    expect(norm(short)).toBeLessThan(norm(free));
    const clean = lossWith(null);
    expect(lossWith(free)).toBeGreaterThan(clean);
    expect(lossWith(bounded)).toBeGreaterThan(clean);
    tf.dispose([free, bounded, short, labels]);
    dispose();
  });
});

describe('I-BAU outer problem', () => {
  it('computes the second-order products by double backpropagation, as central differences of gradients do', () => {
    // Without ReLUs (a smooth residual net) central differences are accurate; with them (the
    // random resnet-small) steps of 1e-4 cross few kinks. Checked on every variable.
    expect(supportsExactSecondOrder(ctxFreeResnet())).toBe(true);
    expect(supportsExactSecondOrder(pooledNet())).toBe(false);
    const cases: Array<[GraphModel, number]> = [[smoothResidualNet(), 1e-3], [resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8], seed: 3 }), 1e-4]];
    for (const [model, step] of cases) {
      tf.tidy(() => {
        const vars = model.variables();
        const x = tf.randomNormal([6, 8, 8, 1], 0, 1, 'float32', 1);
        const p = { model, vars, x, y: tf.tensor1d([0, 1, 2, 3, 0, 1], 'int32'), reg: 1e-3 };
        const delta = tf.randomNormal([1, 8, 8, 1], 0, 0.3, 'float32', 2);
        const v = tf.randomNormal([1, 8, 8, 1], 0, 0.1, 'float32', 3);
        const exact = exactSecondOrder(p);
        const fd = finiteDifferenceSecondOrder(p, step);
        const relative = (a: tf.Tensor, b: tf.Tensor): number => tf.norm(tf.sub(a, b)).dataSync()[0] / tf.norm(b).dataSync()[0];
        const tolerance = step === 1e-3 ? 0.01 : 0.05;
        expect(relative(exact.hvp(delta, v), fd.hvp(delta, v))).toBeLessThan(tolerance);
        // More than the regulariser's 2 * reg * v.
        expect(relative(exact.hvp(delta, v), tf.mul(v, 2e-3))).toBeGreaterThan(0.5);
        const mixed = exact.mixed(delta, v);
        const fdMixed = fd.mixed(delta, v);
        expect(mixed).toHaveLength(vars.length);
        mixed.forEach((m, i) => expect(relative(m, fdMixed[i])).toBeLessThan(tolerance));
      });
      model.dispose();
    }
  });

  it('lowers the loss on perturbed data with the implicit hypergradient, running K fixed-point iterations', async () => {
    const { ctx, dispose } = await tinyDefenseContext();
    const model = new GraphModel(cloneGraph(ctx.fp.graph));
    const { variables, keys } = variableKeys(model);
    const optimizer = createOptimizer({ type: 'adam' }, variables, keys);
    const x = ctx.batches[0];
    const y = predictedLabels(ctx.fp, x);
    const inner = { model, vars: variables, x: ctx.batches[1], y: predictedLabels(ctx.fp, ctx.batches[1]), reg: 1e-3 };
    const found = await searchPerturbation(model, ctx.batches.map((b) => ({ x: tf.clone(b), y: predictedLabels(model, b) })), { lr: 10, reg: 1e-3, steps: 0, normBound: 3 });
    const delta = tf.variable(found, true);
    // Every image perturbed, so that the perturbation weighs on the loss.
    const all = patchMask(x.shape[0], 1, 0);
    const none = patchMask(x.shape[0], 0, 0);
    const setup = { model, optimizer, terms: localTerms(model, ctx.hooks, variables, exactSecondOrder(inner)), fixedPoint: { iterations: 5, step: 0.1 } };
    const lossNow = (): number => tf.tidy(() => outerLoss(model, ctx.hooks, { x, y }, all, delta).dataSync()[0]);
    const tensors = tf.memory().numTensors;
    const before = lossNow();
    const steps = [];
    for (let i = 0; i < 3; i++) steps.push(await outerStep(setup, { x, y }, all, delta, 1e-3));
    expect(steps[0].loss).toBeCloseTo(before, 5);
    expect(steps.every((s) => s.iterations === 5)).toBe(true);
    expect(lossNow()).toBeLessThan(before);
    // Without a perturbed image the outer loss ignores delta: no fixed-point iteration, plain gradient.
    expect((await outerStep(setup, { x, y }, none, delta, 1e-3)).iterations).toBe(0);
    // The optimizer's slots were made before the count; a step leaves nothing behind.
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.tidy(() => tf.sum(all).dataSync()[0])).toBe(x.shape[0]);
    expect(tf.tidy(() => tf.sum(patchMask(100, 0.01, 3)).dataSync()[0])).toBe(1);
    optimizer.dispose();
    tf.dispose([y, inner.y, found, delta, all, none]);
    model.dispose();
    dispose();
  });
});

describe('I-BAU', () => {
  const options = { rounds: '2', batchSize: '64', innerBatchSize: '16', patchPortion: '0.1', normBound: '3' };

  it('unlearns a copy of the full-precision model through the run hooks, checkpointing every round, leaking nothing', async () => {
    const { ctx, fp, dispose } = await tinyDefenseContext({ options });
    const seen: BatchContext[] = [];
    ctx.hooks.data.batch.tapPromise('probe', async (batch, bctx) => {
      seen.push(bctx);
      return batch;
    });
    const checkpoint = memoryCheckpoint();
    const before = weights(fp);
    const tensors = tf.memory().numTensors;
    const repaired = await ibau.run({ ...ctx, checkpoint });
    if (!(repaired instanceof GraphModel)) throw new Error('I-BAU returns a full-precision GraphModel');
    expect(ibau.operatesOn).toBe('full-precision');
    expect(repaired).not.toBe(fp);
    expect(weights(fp)).toEqual(before);
    expect(weights(repaired)).not.toEqual(before);
    // 256 images in batches of 64: 4 outer steps a round, each through the hook.
    expect(seen.map((c) => [c.epoch, c.step])).toEqual([[0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [1, 1], [1, 2], [1, 3]]);
    expect(seen.every((c) => c.consumer === 'defense:ibau' && c.model === repaired && c.preset === 'fast' && c.options === ctx.options)).toBe(true);
    expect(checkpoint.saves).toEqual([{ done: 1, state: { phase: 'unlearn', epoch: 1 } }, { done: 2, state: { phase: 'unlearn', epoch: 2 } }]);
    checkpoint.dispose();
    repaired.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    dispose();
  });

  it('resumes after the last finished round to exactly the weights of an uninterrupted run', async () => {
    const straight = await tinyDefenseContext({ options });
    const full = await ibau.run(straight.ctx) as GraphModel;
    const interrupted = await tinyDefenseContext({ options });
    const checkpoint = memoryCheckpoint(1);
    await expect(ibau.run({ ...interrupted.ctx, checkpoint })).rejects.toThrow('interrupted');
    const resumed = await ibau.run({ ...interrupted.ctx, checkpoint }) as GraphModel;
    expect(checkpoint.saves.map((s) => s.done)).toEqual([1, 2]);
    expect(weights(resumed)).toEqual(weights(full));
    [full, resumed].forEach((m) => m.dispose());
    checkpoint.dispose();
    straight.dispose();
    interrupted.dispose();
  });

  it('declares its option keys and fails at once on a bad value', async () => {
    expect(ibau.optionKeys).toEqual([
      'rounds', 'fixedPointIterations', 'batchSize', 'innerBatchSize', 'lr', 'perturbLr', 'perturbSteps', 'perturbReg', 'normBound', 'innerStep', 'patchPortion', 'hypergradient',
    ]);
    const { ctx, dispose } = await tinyDefenseContext({ options: { fixedPointIterations: '0' } });
    await expect(ibau.run(ctx)).rejects.toThrow('--option fixedPointIterations must be an integer >= 1, got "0"');
    dispose();
  });
});
