import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { channelSumsOn } from './channel-sums.js';
import type { WasmHeapBackend } from './heap-module.js';
import { meanConfig } from './mean.js';
import { sumConfig } from './sum.js';
import { seededValues, useWasmWithTrainingKernels } from './testing/grad-parity.js';

/** The same reduction through the shipped kernel: the reduced axes moved last, so they are not leading. */
function shippedReduce(op: 'sum' | 'mean', x: tf.Tensor, k: number): tf.Tensor {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()].slice(k).concat([...Array(k).keys()]);
  const trailing = [...Array(k).keys()].map((i) => rank - k + i);
  return tf[op](tf.transpose(x, perm), trailing);
}

describe('Sum and Mean over leading axes on wasm', () => {
  beforeAll(async () => {
    await useWasmWithTrainingKernels();
  });

  it('replace the shipped kernels, with the heap of this build readable in place', () => {
    expect(tf.getKernel(tf.Sum, 'wasm')?.kernelFunc).toBe(sumConfig.kernelFunc);
    expect(tf.getKernel(tf.Mean, 'wasm')?.kernelFunc).toBe(meanConfig.kernelFunc);
    expect(channelSumsOn(tf.backend() as unknown as WasmHeapBackend)).not.toBeNull();
  });

  const shapes: number[][] = [[16, 12, 12, 8], [3, 5, 7, 9], [1000, 17], [7, 3, 3, 1], [33, 13, 11, 31], [8, 1, 1, 130], [5, 9, 64]];
  for (const shape of shapes) {
    for (let k = 1; k < shape.length; k++) {
      it(`give the shipped kernels' bits on [${shape}] over the first ${k} axes`, () => {
        const size = shape.reduce((a, b) => a * b, 1);
        // Values of mixed magnitude, so that the order of the additions shows in the bits.
        const values = seededValues(size, size + k).map((v, i) => v * (1 + (i % 97) * 31));
        tf.tidy(() => {
          const x = tf.tensor(values, shape);
          const axes = [...Array(k).keys()];
          for (const op of ['sum', 'mean'] as const) {
            expect(Array.from(tf[op](x, axes).dataSync())).toEqual(Array.from(shippedReduce(op, x, k).dataSync()));
          }
          expect(tf.sum(x, axes, true).shape).toEqual([...axes.map(() => 1), ...shape.slice(k)]);
        });
      });
    }
  }

  it('leave other reductions to the shipped kernels, with their results', () => {
    tf.tidy(() => {
      const x = tf.tensor3d([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
      expect(tf.sum(x, [1, 2]).arraySync()).toEqual([10, 26]);
      expect(tf.sum(x, 2).arraySync()).toEqual([[3, 7], [11, 15]]);
      expect(tf.sum(x).arraySync()).toBe(36);
      expect(tf.sum(tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), 0).arraySync()).toEqual([4, 6]);
      expect(tf.sum(tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), 0).dtype).toBe('int32');
      expect(tf.mean(tf.tensor2d([[1, 2], [3, 4]]), -1).arraySync()).toEqual([1.5, 3.5]);
    });
  });

  it('leak no tensor and no buffer over a long loop, nor inside gradients', () => {
    const x = tf.tensor(seededValues(4 * 6 * 6 * 3, 7), [4, 6, 6, 3]);
    const gamma = tf.variable(tf.ones([3]));
    const tensors = tf.memory().numTensors;
    const buffers = tf.memory().numDataBuffers;
    for (let i = 0; i < 200; i++) {
      tf.tidy(() => void tf.add(tf.sum(x, [0, 1, 2]), tf.mean(x, [0, 1])));
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(x, gamma)) as tf.Scalar);
      tf.dispose([value, grads[gamma.name]]);
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.memory().numDataBuffers).toBe(buffers);
    tf.dispose([x, gamma]);
  });
});
