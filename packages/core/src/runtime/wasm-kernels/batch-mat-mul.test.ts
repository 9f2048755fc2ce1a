import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { seededValues, useWasmWithTrainingKernels } from './testing/grad-parity.js';
import { shippedKernelRunner } from './testing/shipped.js';

const withShipped = shippedKernelRunner(tf.BatchMatMul);

describe('BatchMatMul on wasm', () => {
  beforeAll(async () => {
    await useWasmWithTrainingKernels();
  });

  it('replaces the shipped kernel', () => {
    expect(tf.getKernel(tf.BatchMatMul, 'wasm')?.kernelFunc).toBe(batchMatMulConfig.kernelFunc);
  });

  // [a's batch dims, b's batch dims, m, k, n]: blocks of 48 on every axis, partial ones,
  // column counts that are not a multiple of 4, batches, and one broadcast (shipped).
  const cases: [number[], number[], number, number, number][] = [
    [[], [], 37, 130, 29], [[], [], 64, 300, 96], [[], [], 1, 5, 3], [[4], [4], 49, 16, 49],
    [[2, 3], [2, 3], 7, 49, 16], [[3], [3], 5, 7, 9], [[1], [3], 6, 50, 5], [[], [], 100, 1, 50],
  ];
  for (const [outerA, outerB, m, k, n] of cases) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`gives the shipped kernel's bits: [${outerA}] ${m}x${k} by [${outerB}] ${k}x${n}, transposeA ${ta}, transposeB ${tb}`, () => {
        const aShape = [...outerA, ...(ta ? [k, m] : [m, k])];
        const bShape = [...outerB, ...(tb ? [n, k] : [k, n])];
        const size = (s: number[]): number => s.reduce((x, y) => x * y, 1);
        // Values of mixed magnitude, so that the order of the additions shows in the bits.
        const a = tf.tensor(seededValues(size(aShape), 11).map((v, i) => v * (1 + (i % 89) * 17)), aShape);
        const b = tf.tensor(seededValues(size(bShape), 12), bShape);
        const ours = tf.matMul(a, b, ta, tb);
        const theirs = withShipped(() => tf.matMul(a, b, ta, tb));
        expect(ours.shape).toEqual(theirs.shape);
        expect(Array.from(ours.dataSync())).toEqual(Array.from(theirs.dataSync()));
        tf.dispose([a, b, ours, theirs]);
      });
    }
  }

  it('leaks no tensor and no buffer over a long loop of dense gradients', () => {
    const x = tf.tensor(seededValues(6 * 10, 3), [6, 10]);
    const w = tf.variable(tf.tensor(seededValues(10 * 7, 4), [10, 7]));
    const tensors = tf.memory().numTensors;
    const buffers = tf.memory().numDataBuffers;
    for (let i = 0; i < 200; i++) {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.matMul(x, w))) as tf.Scalar);
      tf.dispose([value, grads[w.name]]);
      tf.tidy(() => void tf.matMul(tf.reshape(x, [2, 3, 10]), tf.reshape(x, [2, 3, 10]), false, true));
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.memory().numDataBuffers).toBe(buffers);
    tf.dispose([x, w]);
  });
});
