import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { seededValues, useWasmWithTrainingKernels } from './testing/grad-parity.js';
import { shippedKernelRunner } from './testing/shipped.js';

const withShipped = shippedKernelRunner(tf.MaxPoolGrad);

/** The bits of maxPool's gradient of sum(pool(x) * weights). */
function poolGrad(x: tf.Tensor4D, size: number, stride: number, pad: 'valid' | 'same'): number[] {
  return tf.tidy(() => {
    const [, h, w, c] = x.shape;
    const out = tf.maxPool(x, size, stride, pad);
    const weights = tf.tensor(seededValues(out.size, h * w + c), out.shape);
    return Array.from(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, size, stride, pad), weights)))(x).dataSync());
  });
}

describe('MaxPoolGrad on wasm', () => {
  beforeAll(async () => {
    await useWasmWithTrainingKernels();
  });

  it('replaces the shipped kernel', () => {
    expect(tf.getKernel(tf.MaxPoolGrad, 'wasm')?.kernelFunc).toBe(maxPoolGradConfig.kernelFunc);
  });

  // [batch, height, width, channels, window = stride]: vector and scalar channels, edges no
  // window reaches (7 by 2), 3x3 windows.
  const cases: [number, number, number, number, number][] = [
    [2, 8, 8, 8, 2], [3, 7, 7, 5, 2], [1, 4, 6, 1, 2], [2, 9, 9, 6, 3], [4, 14, 14, 16, 2],
  ];
  for (const [n, h, w, c, k] of cases) {
    it(`gives the shipped kernel's bits on [${n}, ${h}, ${w}, ${c}] with ${k}x${k} windows, ties and non-positive windows included`, () => {
      // Rounded to a coarse grid so that windows hold equal maxima; shifted so that some
      // windows hold no positive value, some only zeros (after a ReLU).
      const values = seededValues(n * h * w * c, n + h + c).map((v) => Math.round(v * 3) / 3 - 0.2);
      const x = tf.tensor4d(values, [n, h, w, c]);
      const relu = tf.relu(x) as tf.Tensor4D;
      for (const input of [x, relu]) {
        expect(poolGrad(input, k, k, 'valid')).toEqual(withShipped(() => poolGrad(input, k, k, 'valid')));
      }
      tf.dispose([x, relu]);
    });
  }

  it('leaves overlapping and padded pools to the shipped kernel, with its results', () => {
    const x = tf.tensor4d(seededValues(2 * 7 * 7 * 3, 9), [2, 7, 7, 3]);
    expect(poolGrad(x, 3, 2, 'valid')).toEqual(withShipped(() => poolGrad(x, 3, 2, 'valid')));
    expect(poolGrad(x, 2, 2, 'same')).toEqual(withShipped(() => poolGrad(x, 2, 2, 'same')));
    x.dispose();
  });

  it('leaks no tensor and no buffer over a long loop', () => {
    const x = tf.tensor4d(seededValues(2 * 6 * 6 * 4, 5), [2, 6, 6, 4]);
    const tensors = tf.memory().numTensors;
    const buffers = tf.memory().numDataBuffers;
    for (let i = 0; i < 200; i++) poolGrad(x, 2, 2, 'valid');
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.memory().numDataBuffers).toBe(buffers);
    x.dispose();
  });
});
