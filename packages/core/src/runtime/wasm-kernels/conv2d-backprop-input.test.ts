import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import {
  conv2dCases,
  convGradsOn,
  describeCase,
  relativeMaxDiff,
  useWasmWithTrainingKernels,
} from './testing/grad-parity.js';

describe('Conv2DBackpropInput (wasm)', () => {
  beforeAll(useWasmWithTrainingKernels);

  it('replaces the shipped wasm kernel', () => {
    expect(tf.getKernel(tf.Conv2DBackpropInput, 'wasm')?.kernelFunc).toBe(conv2DBackpropInputConfig.kernelFunc);
  });

  it.each(conv2dCases.map((c) => [describeCase(c), c] as const))('dx matches cpu: %s', async (_name, c) => {
    const expected = await convGradsOn('cpu', c);
    const actual = await convGradsOn('wasm', c);
    expect(relativeMaxDiff(actual.dx, expected.dx)).toBeLessThan(1e-4);
  });

  it('rejects NCHW data', async () => {
    await useWasmWithTrainingKernels();
    const dy = tf.zeros([1, 2, 4, 4]);
    const filter = tf.zeros([3, 3, 2, 2]);
    expect(() =>
      tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, {
        strides: 1,
        pad: 'same',
        dataFormat: 'NCHW',
        inputShape: [1, 2, 4, 4],
      }),
    ).toThrow(/only NHWC/);
    tf.dispose([dy, filter]);
  });
});
