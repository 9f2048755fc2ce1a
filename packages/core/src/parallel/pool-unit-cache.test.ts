import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheUnitInputs, cacheUnitTargets } from '../defense/layerwise/unit-cache.js';
import { tinyResidualModel } from '../ir/testing/tiny-residual.js';
import type { QuantizerProfile } from '../quant/profile.js';
import { quantizeModel } from '../quant/quantize-model.js';
import { initBackend } from '../runtime/backend.js';
import { cacheUnitOnPool } from './pool-unit-cache.js';
import { StepPool } from './step-pool.js';

// The workers run the compiled dist/ (pnpm test builds it first).
const W4A4: QuantizerProfile = {
  name: 'w4a4', description: 'test', firstLastAt8Bits: false, foldBatchNorm: false,
  weights: { bits: 4, granularity: 'per-channel', symmetric: false, observer: 'minmax' },
  activations: { bits: 4, symmetric: false, observer: 'minmax', smoothing: { kind: 'extreme' } },
};

beforeAll(async () => {
  await initBackend('wasm');
});

afterAll(async () => {
  await StepPool.closeIdle();
});

const values = (ts: tf.Tensor[]): number[][] => ts.map((t) => Array.from(t.dataSync()));

describe('a unit cache on the pool', () => {
  it('holds the one-thread cache: the same pieces in the same order, the same values, no tensor leaked', async () => {
    const model = tinyResidualModel(4);
    const batches = [0, 1].map((i) => tf.randomNormal([20, 8, 8, 1], 0, 1, 'float32', 40 + i) as tf.Tensor4D);
    const q = await quantizeModel(model, W4A4, batches);
    const pool = (await StepPool.start(2))!;
    expect(pool).not.toBeNull();
    try {
      // 30 of 40 samples spread evenly, 7 per pass: uneven pieces, more of them than workers.
      const plan = { samples: 30, batch: 7 };
      for (const unit of [model.units()[0], model.units()[2]]) {
        const before = tf.memory().numTensors;
        const serial = { inputs: cacheUnitInputs(q, unit, batches, plan), targets: cacheUnitTargets(model, unit, batches, plan) };
        const pooled = await cacheUnitOnPool(pool, q, model, unit, batches, plan);
        expect(pooled.inputs.map((t) => t.shape)).toEqual(serial.inputs.map((t) => t.shape));
        expect(values(pooled.inputs)).toEqual(values(serial.inputs));
        expect(values(pooled.targets)).toEqual(values(serial.targets));
        tf.dispose([...serial.inputs, ...serial.targets, ...pooled.inputs, ...pooled.targets]);
        expect(tf.memory().numTensors).toBe(before);
      }
    } finally {
      await pool.close();
      tf.dispose(batches);
      q.model.dispose();
    }
  });
});
