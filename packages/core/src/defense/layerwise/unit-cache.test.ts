import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyResidualModel } from '../../ir/testing/tiny-residual.js';
import type { QuantizerProfile } from '../../quant/profile.js';
import { quantizeModel } from '../../quant/quantize-model.js';
import { initBackend } from '../../runtime/backend.js';
import type { MemoryBudget } from '../../runtime/memory/backend-budget.js';
import { cacheUnitInputs, cacheUnitTargets, planUnitCache, spreadRows } from './unit-cache.js';

const W4A4: QuantizerProfile = {
  name: 'w4a4', description: 'test', firstLastAt8Bits: false, foldBatchNorm: false,
  weights: { bits: 4, granularity: 'per-channel', symmetric: false, observer: 'minmax' },
  activations: { bits: 4, symmetric: false, observer: 'minmax', smoothing: { kind: 'extreme' } },
};

const budget = (bytes: number): MemoryBudget => ({ backend: 'wasm', kind: 'wasm heap', limitBytes: 4 * 2 ** 30, inUseBytes: 2 ** 20, budgetBytes: bytes });

beforeAll(async () => {
  await initBackend('wasm');
});

describe('the unit cache within the memory budget', () => {
  it('caches every sample when they fit, as many as fit spread evenly otherwise (said in a note), in the same values', async () => {
    const model = tinyResidualModel(4);
    const batches = [0, 1].map((i) => tf.randomNormal([20, 8, 8, 1], 0, 1, 'float32', 30 + i) as tf.Tensor4D);
    const q = await quantizeModel(model, W4A4, batches);
    const unit = model.units()[1];
    const roomy = planUnitCache(q, model, unit, 40, { budget: budget(2 ** 30), trainBatch: 32 });
    expect(roomy).toMatchObject({ samples: 40, available: 40, batch: 40, note: null });
    // conv1's input (stem_relu, 8x8x4) and its target (relu1, 8x8x4): 2 x 256 float32 values.
    expect(roomy.bytesPerSample).toBe(2048);

    const tight = planUnitCache(q, model, unit, 40, { budget: budget(200_000), trainBatch: 4, label: 'unit 2/4' });
    expect(tight.samples).toBeGreaterThan(1);
    expect(tight.samples).toBeLessThan(40);
    expect(tight.batch).toBeLessThan(40);
    expect(tight.note).toBe(`unit 2/4 "conv1": caching ${tight.samples} of 40 samples, evenly spread (its input and target take 2.0 KiB per sample; the wasm heap budget of 195 KiB (of 4.0 GiB, 1.0 MiB in use))`);

    const before = tf.memory().numTensors;
    const all = [cacheUnitInputs(q, unit, batches, roomy), cacheUnitTargets(model, unit, batches, roomy)];
    const some = [cacheUnitInputs(q, unit, batches, tight), cacheUnitTargets(model, unit, batches, tight)];
    expect(all.map((pieces) => pieces.length)).toEqual([2, 2]);
    for (const [i, pieces] of some.entries()) {
      expect(pieces.reduce((n, t) => n + t.shape[0], 0)).toBe(tight.samples);
      const [joined, spread] = tf.tidy(() => [tf.concat(pieces), tf.gather(tf.concat(all[i]), spreadRows(40, tight.samples))]);
      expect(Array.from(joined.dataSync())).toEqual(Array.from(spread.dataSync()));
      tf.dispose([joined, spread]);
    }
    tf.dispose([...all.flat(), ...some.flat()]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(batches);
    model.dispose();
  });

  it('runs a training step that does not fit half the budget in micro-batches, and says so', async () => {
    const model = tinyResidualModel(4);
    const batches = [tf.randomNormal([20, 8, 8, 1], 0, 1, 'float32', 7) as tf.Tensor4D];
    const q = await quantizeModel(model, W4A4, batches);
    const unit = model.units()[1];
    // A measured step of 10 KB a sample: 32 of them need 320 KB, half of a 400 KB budget holds 16 (fixed 20 KB).
    const step = { fixed: 20_000, perSample: 10_000, largestPerSample: 1_000 };
    const whole = planUnitCache(q, model, unit, 20, { budget: budget(2 ** 30), trainBatch: 32, step });
    expect(whole.stepBatch).toBe(32);
    const micro = planUnitCache(q, model, unit, 20, { budget: budget(400_000), trainBatch: 32, step, label: 'unit 2/4' });
    expect(micro.stepBatch).toBe(16);
    expect(micro.note).toContain('training steps in micro-batches of 16');
    tf.dispose(batches);
    model.dispose();
  });

  it('spreads the kept samples evenly over all of them', () => {
    expect(Array.from(spreadRows(10, 4))).toEqual([0, 2, 5, 7]);
    expect(Array.from(spreadRows(3, 5))).toEqual([0, 1, 2]);
    expect(Array.from(spreadRows(8, 8))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
