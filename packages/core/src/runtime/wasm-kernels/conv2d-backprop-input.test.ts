import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import {
  conv2dCases,
  convGradsOn,
  describeCase,
  hostTensor,
  kernelOutputOn,
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

  it("matches cpu when the forward pass used dimRoundingMode 'ceil'", async () => {
    // 8 rows, pad 1, stride 2: 'ceil' gives 5 output rows, the last window reaching past the padding.
    const attrs = { strides: 2, pad: 1, dataFormat: 'NHWC', dimRoundingMode: 'ceil', inputShape: [2, 8, 7, 3] };
    const inputs = { dy: hostTensor([2, 5, 4, 4], 11), filter: hostTensor([3, 3, 3, 4], 12) };
    const expected = await kernelOutputOn('cpu', tf.Conv2DBackpropInput, inputs, attrs);
    const actual = await kernelOutputOn('wasm', tf.Conv2DBackpropInput, inputs, attrs);
    expect(relativeMaxDiff(actual, expected)).toBeLessThan(1e-4);
  });
});
