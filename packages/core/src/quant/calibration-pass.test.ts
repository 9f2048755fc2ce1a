import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyResidualModel } from '../ir/testing/tiny-residual.js';
import { tinyTransformerModel } from '../ir/testing/tiny-transformer.js';
import { initBackend } from '../runtime/backend.js';
import type { QuantizerProfile } from './profile.js';
import { quantJsonOf } from './quant-json.js';
import { quantizeModel } from './quantize-model.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const profile = (observer: 'mse' | 'minmax', smoothing: NonNullable<QuantizerProfile['activations']>['smoothing']): QuantizerProfile => ({
  name: `w4a4-${observer}`, description: 'test', firstLastAt8Bits: true, foldBatchNorm: false,
  weights: { bits: 4, granularity: 'per-channel', symmetric: false, observer },
  activations: { bits: 4, symmetric: false, observer, smoothing },
});

describe('calibration in micro-batches', () => {
  it('gives the grids of a single pass, whatever the micro-batch (min-max exactly, MSE too here), and leaks no tensor', async () => {
    for (const make of [() => tinyResidualModel(2), () => tinyTransformerModel(2)]) {
      const model = make();
      const batches = [0, 1, 2].map((i) => tf.randomNormal([12, 8, 8, 1], 0, 1, 'float32', 20 + i) as tf.Tensor4D);
      for (const p of [profile('minmax', { kind: 'extreme' }), profile('mse', { kind: 'ema', factor: 0.9 })]) {
        const whole = quantJsonOf(await quantizeModel(model, p, batches));
        const before = tf.memory().numTensors;
        for (const batch of [1, 5, 11]) {
          const pieces = quantJsonOf(await quantizeModel(model, p, batches, { batch }));
          expect(pieces, `${model.graph.name} ${p.name} in batches of ${batch}`).toEqual(whole);
        }
        expect(tf.memory().numTensors).toBe(before);
      }
      tf.dispose(batches);
      model.dispose();
    }
  });
});
