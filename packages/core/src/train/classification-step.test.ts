import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyResidualModel } from '../ir/testing/tiny-residual.js';
import { initBackend } from '../runtime/backend.js';
import { classificationStep } from './classification-step.js';
import { Adam, Sgd } from './optimizers/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('classificationStep', () => {
  it('learns a separable synthetic task', () => {
    const model = tinyResidualModel(2);
    const optimizer = new Adam(model.variables());
    // Class = which quadrant is bright.
    const [x, y] = tf.tidy(() => {
      const labels = tf.tensor1d(Array.from({ length: 48 }, (_, i) => i % 3), 'int32');
      const masks = [0, 1, 2].map((c) => tf.pad(tf.ones([4, 4, 1]), [[c === 1 ? 4 : 0, c === 1 ? 0 : 4], [c === 2 ? 4 : 0, c === 2 ? 0 : 4], [0, 0]]));
      const images = tf.stack(Array.from({ length: 48 }, (_, i) => tf.add(masks[i % 3], tf.randomUniform([8, 8, 1], 0, 0.3, 'float32', i))));
      return [images, labels];
    });
    const first = classificationStep(model, optimizer, x, y as tf.Tensor1D, 0.01);
    let last = first;
    for (let i = 0; i < 60; i++) last = classificationStep(model, optimizer, x, y as tf.Tensor1D, 0.01);
    expect(last).toBeLessThan(first * 0.5);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  });

  it('leaks no tensors over a few hundred steps', () => {
    const model = tinyResidualModel(3);
    const optimizer = new Sgd(model.variables(), { type: 'sgd', momentum: 0.9, weightDecay: 1e-4 });
    const x = tf.randomUniform([8, 8, 8, 1], 0, 1, 'float32', 1);
    const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
    // The first steps create the optimizer's slots.
    for (let i = 0; i < 5; i++) classificationStep(model, optimizer, x, y, 0.01);
    const before = tf.memory();
    for (let i = 0; i < 300; i++) classificationStep(model, optimizer, x, y, 0.01);
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  });
});
