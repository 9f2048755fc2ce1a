import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageSet } from '../data/image-set.js';
import { isQcbError } from '../errors.js';
import { tinyResidualModel } from '../ir/testing/tiny-residual.js';
import type { QuantizerProfile } from '../quant/profile.js';
import { quantizeModel } from '../quant/quantize-model.js';
import { initBackend } from '../runtime/backend.js';
import type { MemoryBudget } from '../runtime/memory/backend-budget.js';
import { EVALUATION_BATCH, evaluationPlan } from './evaluation-plan.js';
import { predictClasses } from './predict.js';

const W4A4: QuantizerProfile = {
  name: 'w4a4', description: 'test', firstLastAt8Bits: true, foldBatchNorm: false,
  weights: { bits: 4, granularity: 'per-channel', symmetric: false, observer: 'mse' },
  activations: { bits: 4, symmetric: false, observer: 'mse', smoothing: { kind: 'ema', factor: 0.9 } },
};

const TINY_BUDGET: MemoryBudget = { backend: 'wasm', kind: 'wasm heap', limitBytes: 4 * 2 ** 30, inUseBytes: 2 ** 20, budgetBytes: 200_000 };

function imageSet(count: number, seed: number): ImageSet {
  const images = tf.tidy(() => tf.randomNormal([count, 8, 8, 1], 0, 1, 'float32', seed).dataSync() as Float32Array);
  return { images, labels: new Int32Array(count), count, shape: [8, 8, 1] };
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('evaluationPlan', () => {
  it('keeps 256 for the tiny model and goes down, in powers of two, when the budget is small', () => {
    const model = tinyResidualModel();
    expect(evaluationPlan(model)).toMatchObject({ batch: EVALUATION_BATCH, limited: false, model: 'tiny', stage: 'evaluating' });
    const small = evaluationPlan(model, { budget: TINY_BUDGET });
    expect(small.batch).toBeLessThan(EVALUATION_BATCH);
    expect(small.batch * small.perSampleBytes + small.fixedBytes).toBeLessThanOrEqual(TINY_BUDGET.budgetBytes);
    expect(evaluationPlan(model, { batch: 7 })).toMatchObject({ batch: 7, requested: true });
    model.dispose();
  });

  it('predicts the same classes whatever batch memory chooses, full precision and quantized, and leaks no tensor', async () => {
    const model = tinyResidualModel(5);
    const set = imageSet(37, 9);
    const calibration = [tf.randomNormal([16, 8, 8, 1], 0, 1, 'float32', 4) as tf.Tensor4D];
    const q = await quantizeModel(model, W4A4, calibration);
    tf.dispose(calibration);
    const before = tf.memory().numTensors;
    for (const [forward, subject] of [[(x: tf.Tensor4D) => model.predict(x), model], [(x: tf.Tensor4D) => q.predict(x), q]] as const) {
      const reference = predictClasses(forward, set, { plan: evaluationPlan(subject) });
      const small = evaluationPlan(subject, { budget: TINY_BUDGET });
      expect(small.batch).toBeLessThan(37);
      for (const plan of [small, evaluationPlan(subject, { batch: 1 }), evaluationPlan(subject, { batch: 5 })]) {
        expect(Array.from(predictClasses(forward, set, { plan }))).toEqual(Array.from(reference));
      }
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('turns a failed allocation into one line naming the model, the batch and the budget', () => {
    const model = tinyResidualModel();
    const plan = evaluationPlan(model, { batch: 4, budget: TINY_BUDGET });
    const set = imageSet(10, 1);
    const before = tf.memory().numTensors;
    const run = (forward: (x: tf.Tensor4D) => tf.Tensor): unknown => {
      try {
        predictClasses(forward, set, { plan });
      } catch (e) {
        return e;
      }
      return null;
    };
    // A wasm trap as a backend throws it, and a real allocation the 4 GiB heap refuses.
    const trap = run(() => {
      throw new Error('table index is out of bounds');
    });
    const refused = run((x) => tf.add(tf.zeros([2 ** 30]), tf.sum(x)));
    for (const e of [trap, refused]) {
      expect(isQcbError(e)).toBe(true);
      const err = e as Error & { code: string };
      expect(err.code).toBe('E_MEMORY');
      expect(err.message).not.toContain('\n');
      expect(err.message).toMatch(/^out of memory evaluating "tiny" in batches of 4 with the wasm heap budget of 195 KiB \(of 4\.0 GiB, 1\.0 MiB in use\): /);
    }
    expect((trap as Error).message).toMatch(/table index is out of bounds$/);
    expect((refused as Error).message).toMatch(/the wasm heap cannot allocate 4\.0 GiB more/);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
