import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNormTrain } from './batch-norm-train.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The same normalisation written with plain ops, differentiated by tfjs autodiff. */
function reference(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), g), b);
}

describe('batchNormTrain', () => {
  for (const shape of [[3, 5, 4, 6], [7, 6]]) {
    it(`matches autodiff of the plain formula for shape ${JSON.stringify(shape)}`, () => {
      tf.tidy(() => {
        const c = shape[shape.length - 1];
        const x = tf.randomNormal(shape, 1, 2, 'float32', 1);
        const g = tf.randomUniform([c], 0.5, 1.5, 'float32', 2);
        const b = tf.randomUniform([c], -1, 1, 'float32', 3);
        const dy = tf.randomNormal(shape, 0, 1, 'float32', 4);
        const ours = tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(batchNormTrain(xi, gi as tf.Tensor1D, bi as tf.Tensor1D, 1e-3), dy)));
        const ref = tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(reference(xi, gi, bi, 1e-3), dy)));
        const a = ours([x, g, b]);
        const e = ref([x, g, b]);
        for (let i = 0; i < 3; i++) {
          expect(tf.max(tf.abs(tf.sub(a[i], e[i]))).dataSync()[0]).toBeLessThan(1e-4);
        }
        const y = batchNormTrain(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
        expect(tf.max(tf.abs(tf.sub(y, reference(x, g, b, 1e-3)))).dataSync()[0]).toBeLessThan(1e-5);
      });
    });
  }

  it('reports the batch statistics it normalised with', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([[1, 10], [3, 14]]);
      let seen: number[] = [];
      batchNormTrain(x, tf.ones([2]) as tf.Tensor1D, tf.zeros([2]) as tf.Tensor1D, 1e-3, (m, v) => {
        seen = [...m.dataSync(), ...v.dataSync()];
      });
      expect(seen).toEqual([2, 12, 1, 4]);
    });
  });
});
