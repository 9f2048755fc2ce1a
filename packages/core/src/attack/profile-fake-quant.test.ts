import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyResidualModel } from '../ir/testing/tiny-residual.js';
import { parseGenericSpec } from '../quant/generic-spec.js';
import { quantizeModel } from '../quant/quantize-model.js';
import { initBackend } from '../runtime/backend.js';
import { ProfileFakeQuant } from './profile-fake-quant.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Academic-style W4A4 with BN folded. */
const W4A4_FOLDED = parseGenericSpec('uniform:w4a4,per-channel,asym,mse,fold,first-last-8');

describe('ProfileFakeQuant', () => {
  it('simulates in training exactly the model quantizeModel deploys (BN folded, calibrated on the same batch)', async () => {
    const model = tinyResidualModel(3);
    const batch = tf.randomNormal([16, 8, 8, 1], 0, 1, 'float32', 11) as tf.Tensor4D;
    const deployed = await quantizeModel(model, W4A4_FOLDED, [batch]);
    const simulated = new ProfileFakeQuant(model, W4A4_FOLDED);
    const [a, b] = tf.tidy(() => [deployed.predict(batch), model.predict(batch, { transform: simulated.transform() })]);
    const fp = tf.tidy(() => model.predict(batch));
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b)))).dataSync()[0]).toBeLessThan(1e-3);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, fp)))).dataSync()[0]).toBeGreaterThan(1e-2);
    tf.dispose([batch, a, b, fp]);
    deployed.model.dispose();
    model.dispose();
  });

  it('passes gradients to the full-precision weights and reuses ranges between refreshes', () => {
    const model = tinyResidualModel(4);
    const x = tf.randomNormal([8, 8, 8, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const q = new ProfileFakeQuant(model, W4A4_FOLDED, 3);
    const vars = model.graph.nodes.flatMap((n) => Object.values(n.params).filter((v) => v.trainable));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 4; i++) {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.predict(x, { transform: q.transform() }))) as tf.Scalar, vars);
      const norm = tf.tidy(() => tf.addN(Object.values(grads).map((g) => tf.sum(tf.abs(g)))).dataSync()[0]);
      expect(norm).toBeGreaterThan(0);
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});
