import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { isQcbError } from '../../errors.js';
import { GraphBuilder } from '../../ir/builder.js';
import { GraphModel } from '../../ir/graph-model.js';
import { tinyResidualModel } from '../../ir/testing/tiny-residual.js';
import { tinyTransformerModel } from '../../ir/testing/tiny-transformer.js';
import { quantizeModel } from '../../quant/quantize-model.js';
import type { QuantizerProfile } from '../../quant/profile.js';
import { initBackend } from '../backend.js';
import { activationBytes, modelActivationBytes, modelShapes, type ActivationBytesOptions } from './activation-bytes.js';
import { isAllocationFailure, outOfMemoryError, withAllocationGuard } from './allocation-failure.js';
import { BUDGET_SHARE, backendBudget, type MemoryBudget, type MemoryProbe } from './backend-budget.js';
import { describeBatchPlan, planBatch, planFromBytes, quantizedPass, type BatchPlan } from './batch-plan.js';
import { MAX_TENSOR_BYTES, chooseBatch } from './choose-batch.js';
import { formatBytes } from './format-bytes.js';
import { measurePassBytes } from './measure-pass.js';
import { checkMeasuredTraining, refuseUnfitTraining, trainingPlan } from './training-plan.js';
import { WASM_HEAP_MAX_BYTES, guardWasmMalloc, peakWasmAllocation } from './wasm-heap.js';
import { mseRange } from '../../quant/observers/mse.js';
import { gridFor } from '../../quant/grid.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

/** A wasm heap budget as a fresh process has it: the 4 GiB heap nearly empty, the machine with memory to spare. */
const WASM_BUDGET: MemoryBudget = { backend: 'wasm', kind: 'wasm heap', limitBytes: WASM_HEAP_MAX_BYTES, inUseBytes: 10 * MiB, budgetBytes: Math.floor(BUDGET_SHARE * (WASM_HEAP_MAX_BYTES - 10 * MiB)) };

const W8A8: QuantizerProfile = {
  name: 'w8a8', description: 'test', firstLastAt8Bits: false, foldBatchNorm: false,
  weights: { bits: 8, granularity: 'per-channel', symmetric: true, observer: 'minmax' },
  activations: { bits: 8, symmetric: false, observer: 'minmax', smoothing: { kind: 'extreme' } },
};

/**
 * A MobileNetV2-like stem and blocks at 224x224x3: big early activations (112x112x96
 * after the first expansion), depthwise convs, BN, ReLU6, a residual add.
 */
function bigModel(): GraphModel {
  const b = new GraphBuilder('big224', [224, 224, 3], { seed: 3 });
  let x = b.input();
  x = b.conv2d(x, { filters: 32, kernelSize: 3, strides: 2, useBias: false, name: 'stem' });
  x = b.activation(b.batchNorm(x, { name: 'stem_bn' }), 'relu6', 'stem_relu');
  let y = b.conv2d(x, { filters: 96, kernelSize: 1, useBias: false, name: 'expand' });
  y = b.activation(b.batchNorm(y, { name: 'expand_bn' }), 'relu6', 'expand_relu');
  y = b.depthwiseConv2d(y, { kernelSize: 3, useBias: false, name: 'dw' });
  y = b.activation(b.batchNorm(y, { name: 'dw_bn' }), 'relu6', 'dw_relu');
  y = b.batchNorm(b.conv2d(y, { filters: 32, kernelSize: 1, useBias: false, name: 'project' }), { name: 'project_bn' });
  x = b.add([x, y], 'add');
  x = b.globalAvgPool(x, 'gap');
  return new GraphModel(b.build(b.dense(x, { units: 10, name: 'logits' })));
}

/** The most bytes a pass of `batch` samples actually holds, over what was held before (tf.profile). */
async function measuredPeak(model: GraphModel, batch: number, run: (x: tf.Tensor4D) => void): Promise<number> {
  const x = tf.randomNormal([batch, ...model.inputShape]) as tf.Tensor as tf.Tensor4D;
  const before = tf.memory().numBytes;
  const profile = await tf.profile(() => run(x));
  x.dispose();
  return profile.peakBytes - before;
}

function estimate(model: GraphModel, batch: number, o: ActivationBytesOptions = {}): number {
  const e = modelActivationBytes(model, o);
  return e.fixed + batch * e.perSample;
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('chooseBatch', () => {
  it('keeps the wanted batch when it fits, else the largest power of two that does', () => {
    expect(chooseBatch({ perSampleBytes: MiB, budgetBytes: GiB, max: 256 })).toEqual({ batch: 256, fits: true, limited: false });
    expect(chooseBatch({ perSampleBytes: 100 * MiB, budgetBytes: 3 * GiB, max: 256 })).toEqual({ batch: 16, fits: true, limited: true });
    expect(chooseBatch({ perSampleBytes: 100 * MiB, budgetBytes: 3 * GiB, max: 20, fixedBytes: 2 * GiB })).toEqual({ batch: 8, fits: true, limited: true });
  });

  it('never goes below min, and says when even that does not fit', () => {
    expect(chooseBatch({ perSampleBytes: 2 * GiB, budgetBytes: GiB, max: 256 })).toEqual({ batch: 1, fits: false, limited: true });
    expect(chooseBatch({ perSampleBytes: 100 * MiB, budgetBytes: GiB, max: 256, min: 32 })).toEqual({ batch: 32, fits: false, limited: true });
  });

  it('keeps one tensor of the batch under MAX_TENSOR_BYTES', () => {
    const r = chooseBatch({ perSampleBytes: MiB, budgetBytes: 1024 * GiB, max: 4096, largestTensorBytes: MiB });
    expect(r.batch * MiB).toBeLessThanOrEqual(MAX_TENSOR_BYTES);
    expect(r.limited).toBe(true);
  });

  it('rejects a batch that is not a positive integer', () => {
    expect(() => chooseBatch({ perSampleBytes: 1, budgetBytes: 1, max: 0 })).toThrow(/at least 1/);
    expect(() => chooseBatch({ perSampleBytes: 1, budgetBytes: 1, max: 2.5 })).toThrow(/integer/);
  });
});

describe('backendBudget', () => {
  const probe = (o: Partial<MemoryProbe>): MemoryProbe => ({
    freeBytes: () => 16 * GiB, totalBytes: () => 24 * GiB, residentBytes: () => GiB, tensorBytes: () => 100 * MiB, wasmHeapBytes: () => 512 * MiB, ...o,
  });

  it('on wasm: a share of the 4 GiB heap less the live tensors', () => {
    const b = backendBudget('wasm', probe({}));
    expect(b).toMatchObject({ kind: 'wasm heap', limitBytes: WASM_HEAP_MAX_BYTES, inUseBytes: 100 * MiB });
    expect(b.budgetBytes).toBe(Math.floor(BUDGET_SHARE * (WASM_HEAP_MAX_BYTES - 100 * MiB)));
  });

  it('on wasm with little system memory left: the heap free part plus what the system can give', () => {
    const b = backendBudget('wasm', probe({ freeBytes: () => 256 * MiB }));
    expect(b.budgetBytes).toBe(Math.floor(BUDGET_SHARE * (512 * MiB - 100 * MiB + 256 * MiB)));
  });

  it('on the native and cpu backends: the machine (or container) less the resident memory', () => {
    expect(backendBudget('tensorflow', probe({})).budgetBytes).toBe(Math.floor(BUDGET_SHARE * 16 * GiB));
    expect(backendBudget('cpu', probe({ totalBytes: () => 4 * GiB, residentBytes: () => 3 * GiB })).budgetBytes).toBe(Math.floor(BUDGET_SHARE * GiB));
    expect(backendBudget('cpu', probe({ totalBytes: () => 2 * GiB, residentBytes: () => 3 * GiB })).budgetBytes).toBe(0);
  });

  it('reads the live wasm backend', () => {
    const b = backendBudget();
    expect(b.kind).toBe('wasm heap');
    expect(b.budgetBytes).toBeGreaterThan(0);
    expect(b.budgetBytes).toBeLessThanOrEqual(BUDGET_SHARE * WASM_HEAP_MAX_BYTES);
  });
});

describe('batch choice from the IR', () => {
  it('gives a 224x224x3 graph with big activations a small batch under a wasm budget; the tiny test model keeps 256', () => {
    const big = bigModel();
    const tiny = tinyResidualModel();
    try {
      const bigPlan = planBatch(big, { stage: 'evaluating', wanted: 256, budget: WASM_BUDGET });
      // 112x112x(32 x 3 stem + 96 x 9 expand and dw tensors) float32 values per image: ~45 MiB.
      expect(bigPlan.perSampleBytes).toBeGreaterThan(40 * MiB);
      expect(bigPlan.batch).toBeLessThan(256);
      expect(bigPlan.batch).toBeGreaterThanOrEqual(16);
      expect(Math.log2(bigPlan.batch) % 1).toBe(0);
      expect(bigPlan.batch * bigPlan.perSampleBytes).toBeLessThanOrEqual(WASM_BUDGET.budgetBytes);
      expect(bigPlan).toMatchObject({ limited: true, fits: true, requested: false, model: 'big224' });
      expect(describeBatchPlan(bigPlan)).toMatch(/^evaluating "big224" in batches of \d+: 256 would need about [\d.]+ GiB, over the wasm heap budget of [\d.]+ GiB/);

      const tinyPlan = planBatch(tiny, { stage: 'evaluating', wanted: 256, budget: WASM_BUDGET });
      expect(tinyPlan).toMatchObject({ batch: 256, limited: false, fits: true });
      // The same graph planned for a quantized pass or for training gets no larger a batch.
      const trainingBatch = planBatch(big, { stage: 'training', wanted: 256, kind: 'training', budget: WASM_BUDGET }).batch;
      expect(trainingBatch).toBeLessThan(bigPlan.batch);
    } finally {
      big.dispose();
      tiny.dispose();
    }
  });

  it('uses a requested batch as it is, and says when it is over the budget', () => {
    const big = bigModel();
    try {
      const within = planBatch(big, { stage: 'evaluating', wanted: 256, requested: 2, budget: WASM_BUDGET });
      expect(within).toMatchObject({ batch: 2, requested: true, fits: true, limited: false });
      const over = planBatch(big, { stage: 'evaluating', wanted: 256, requested: 512, budget: WASM_BUDGET });
      expect(over).toMatchObject({ batch: 512, requested: true, fits: false });
      expect(describeBatchPlan(over)).toMatch(/in batches of 512 \(--batch, about [\d.]+ GiB: over the wasm heap budget/);
    } finally {
      big.dispose();
    }
  });

  it('counts only the nodes that run, and attention by its tokens x tokens scores', () => {
    const tiny = tinyResidualModel();
    const shapes = modelShapes(tiny);
    const all = activationBytes(tiny.graph, shapes);
    const stemOnly = activationBytes(tiny.graph, shapes, { nodes: new Set(['input', 'stem']) });
    expect(stemOnly.perSample).toBeLessThan(all.perSample);
    const unitAlone = activationBytes(tiny.graph, shapes, { nodes: new Set(['conv1', 'bn1', 'relu1']) });
    // Fed from a cache: no image batch counted; conv1 (+ bias), bn1 (x * scale + shift), relu1 on 8x8x4.
    expect(unitAlone.perSample).toBe(4 * (2 + 2 + 1) * 8 * 8 * 4);
    tiny.dispose();
    const transformer = tinyTransformerModel();
    const attention = activationBytes(transformer.graph, modelShapes(transformer), { nodes: new Set(['attention']) });
    // [4 tokens, 24] in, [4, 8] out, 2 heads: 96 + 10 x 32 + 2 x 4 x 4 x 2 values.
    expect(attention.perSample).toBe(4 * (96 + 320 + 64));
    transformer.dispose();
  });

  it('never estimates less than a pass actually holds (tf.profile), inference, quantized and training', async () => {
    for (const model of [tinyResidualModel(), bigModel(), tinyTransformerModel()]) {
      const batch = model.inputShape[0] > 100 ? 2 : 16;
      const inference = await measuredPeak(model, batch, (x) => tf.tidy(() => tf.argMax(model.predict(tf.div(tf.sub(x, 0.5), 0.25)), 1)).dispose());
      expect(inference, `${model.graph.name} inference`).toBeLessThanOrEqual(estimate(model, batch));
      // Not far above either: the batch would be needlessly small.
      expect(estimate(model, batch), `${model.graph.name} inference`).toBeLessThan(1.6 * inference);

      const calibration = tf.randomNormal([4, ...model.inputShape]) as tf.Tensor as tf.Tensor4D;
      const q = await quantizeModel(model, W8A8, [calibration]);
      calibration.dispose();
      const quantized = await measuredPeak(model, batch, (x) => tf.tidy(() => tf.argMax(q.predict(x), 1)).dispose());
      expect(quantized, `${model.graph.name} quantized`).toBeLessThanOrEqual(estimate(q.model, batch, quantizedPass(q)));

      const variables = model.variables();
      const training = await measuredPeak(model, batch, (x) => tf.tidy(() => {
        const labels = tf.oneHot(tf.zeros([batch], 'int32'), 3);
        return tf.variableGrads(() => tf.mean(tf.square(tf.sub(tf.slice(model.predict(x, { training: true, updateStats: false }), [0, 0], [-1, 3]), labels))) as tf.Scalar, variables).value;
      }).dispose());
      expect(training, `${model.graph.name} training`).toBeLessThanOrEqual(estimate(model, batch, { kind: 'training' }));
      if (q.model !== model) q.model.dispose();
      model.dispose();
    }
  });
});

describe('measured passes', () => {
  it('measures a pass at two small batches and predicts its peak at a larger one', async () => {
    const model = tinyResidualModel(4);
    const variables = model.variables();
    const step = (n: number): void => tf.tidy(() => {
      const x = tf.randomNormal([n, ...model.inputShape]);
      return tf.variableGrads(() => tf.mean(tf.square(model.predict(x, { training: true, updateStats: false }))) as tf.Scalar, variables).value;
    }).dispose();
    const before = tf.memory().numTensors;
    const bytes = await measurePassBytes(step);
    expect(tf.memory().numTensors).toBe(before);
    expect(bytes.perSample).toBeGreaterThan(0);
    // The 8x8x4 activations are the largest tensors of one sample.
    expect(bytes.largestPerSample).toBe(8 * 8 * 4 * 4);
    // On wasm the pass is measured by the heap's allocations.
    const measured = peakWasmAllocation(() => step(32))!;
    const predicted = bytes.fixed + 32 * bytes.perSample;
    expect(Math.abs(predicted - measured) / measured).toBeLessThan(0.1);
    model.dispose();
  });

  it("counts a wasm buffer once however many tensors view it (the engine's bytes count each view)", async () => {
    expect(guardWasmMalloc()).toBe(true);
    const views = (): void => {
      const a = tf.zeros([1000]);
      const b = tf.reshape(a, [10, 100]);
      const c = tf.reshape(a, [100, 10]);
      tf.dispose([a, b, c]);
    };
    expect(peakWasmAllocation(views)).toBe(4000);
    const before = tf.memory().numBytes;
    expect((await tf.profile(views)).peakBytes - before).toBe(12_000);
  });

  it("keeps the MSE range search's memory to one candidate's tensors at a time", async () => {
    const x = tf.randomNormal([4096, 16], 0, 1, 'float32', 5);
    const before = tf.memory().numBytes;
    const profile = await tf.profile(() => void mseRange(x, true, gridFor(8, false), false));
    // One candidate makes some ten tensors of x's size; the 80 candidates' kept together held 640 times x.
    expect(profile.peakBytes - before).toBeLessThan(16 * x.size * 4);
    expect(tf.memory().numBytes).toBe(before);
    x.dispose();
  });
});

describe('a measured training step against memory', () => {
  const step = (perSampleMiB: number): BatchPlan =>
    planFromBytes('m', { perSample: perSampleMiB * MiB, fixed: 0, largestPerSample: MiB }, { stage: 'training', wanted: 64, budget: WASM_BUDGET });

  it('runs when it fits the budget, notes when it fits only the whole heap, refuses when not even that', () => {
    expect(checkMeasuredTraining(step(40))).toBeNull();
    // 64 x 54 MiB: 3.4 GiB, over the 3.0 GiB budget, under the 4 GiB heap.
    expect(checkMeasuredTraining(step(54), '--option batchSize')).toBe(
      `training "m" in batches of 64 needs about 3.4 GiB (measured), over the wasm heap budget of ${formatBytes(WASM_BUDGET.budgetBytes)} (of 4.0 GiB, 10.0 MiB in use): it may run out of memory; batches of up to 32 fit the budget`,
    );
    expect(() => checkMeasuredTraining(step(70), '--option batchSize')).toThrow(/^training "m" in batches of 64 needs about 4.4 GiB, over the wasm heap budget .*; batches of up to 32 fit$/);
  });
});

describe('allocation failures', () => {
  it('recognises wasm traps, emscripten aborts and buffer RangeErrors, not other errors', () => {
    const wasm = (globalThis as unknown as { WebAssembly: { RuntimeError: new (m: string) => Error } }).WebAssembly;
    expect(isAllocationFailure(new wasm.RuntimeError('table index is out of bounds'))).toBe(true);
    expect(isAllocationFailure(new Error('memory access out of bounds'))).toBe(true);
    expect(isAllocationFailure(new Error('Aborted(OOM)'))).toBe(true);
    expect(isAllocationFailure(new RangeError('Array buffer allocation failed'))).toBe(true);
    expect(isAllocationFailure(new Error('OOM when allocating tensor with shape[256,112,112,96]'))).toBe(true);
    expect(isAllocationFailure(new Error('shapes do not match'))).toBe(false);
    expect(isAllocationFailure(outOfMemoryError({ model: 'm', stage: 'evaluating', batch: 1, budget: WASM_BUDGET }, new Error('x')))).toBe(false);
  });

  it('becomes a one-line QcbError naming the model, the batch and the budget', () => {
    let caught: unknown;
    try {
      withAllocationGuard({ model: 'big224', stage: 'evaluating', batch: 64, budget: WASM_BUDGET }, () => {
        throw new Error('memory access out of bounds\n    at wasm-function[123]');
      });
    } catch (e) {
      caught = e;
    }
    expect(isQcbError(caught)).toBe(true);
    const e = caught as Error & { code: string; hint: string };
    expect(e.code).toBe('E_MEMORY');
    expect(e.message).not.toContain('\n');
    expect(e.message).toBe(`out of memory evaluating "big224" in batches of 64 with the wasm heap budget of ${formatBytes(WASM_BUDGET.budgetBytes)} (of 4.0 GiB, 10.0 MiB in use): memory access out of bounds`);
    expect(e.hint).toMatch(/--batch/);
  });

  it('a wasm allocation that cannot fit throws before it writes, and the backend keeps working', () => {
    expect(guardWasmMalloc()).toBe(true);
    const before = tf.memory().numTensors;
    // 4 GiB of float32: more than the heap can ever hold, refused at once (the heap does not grow).
    expect(() => tf.zeros([GiB])).toThrow(/the wasm heap cannot allocate 4.0 GiB/);
    expect(tf.memory().numTensors).toBe(before);
    const ok = tf.add(tf.ones([4]), 1);
    expect(Array.from(ok.dataSync())).toEqual([2, 2, 2, 2]);
    tf.dispose(ok);
    expect(isAllocationFailure((() => { try { tf.zeros([GiB]); } catch (e) { return e; } })())).toBe(true);
  });
});

describe('training batches', () => {
  it('keeps a training batch size that fits and refuses, in one line, one that does not', () => {
    const big = bigModel();
    try {
      const fits = trainingPlan(big, 2, { budget: WASM_BUDGET });
      expect(() => refuseUnfitTraining(fits)).not.toThrow();
      const tooBig = trainingPlan(big, 512, { budget: WASM_BUDGET });
      expect(tooBig.batch).toBeLessThan(512);
      let caught: unknown;
      try {
        refuseUnfitTraining(tooBig, '--batch-size');
      } catch (e) {
        caught = e;
      }
      const e = caught as Error & { code: string; hint: string };
      expect(e.code).toBe('E_MEMORY');
      expect(e.message).toMatch(new RegExp(`^training "big224" in batches of 512 needs about [\\d.]+ GiB, over the wasm heap budget of .*; batches of up to ${tooBig.batch} fit$`));
      expect(e.hint).toMatch(/lower --batch-size .*does not accumulate gradients/);
      const nothing = trainingPlan(big, 4, { budget: { ...WASM_BUDGET, budgetBytes: MiB } });
      expect(() => refuseUnfitTraining(nothing)).toThrow(/not even a batch of 1 fits/);
    } finally {
      big.dispose();
    }
  });

  it('plans from given bytes too (a stage that knows its own footprint)', () => {
    const plan = planFromBytes('m', { perSample: 100 * MiB, fixed: 0, largestPerSample: MiB }, { stage: 'caching', wanted: 1024, budget: WASM_BUDGET });
    expect(plan.batch).toBe(16);
  });
});
