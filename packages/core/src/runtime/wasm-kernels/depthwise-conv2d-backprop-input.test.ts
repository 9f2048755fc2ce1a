import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwise-conv2d-backprop-input.js';
import {
  convGradsOn,
  depthwiseCases,
  describeCase,
  hostTensor,
  kernelOutputOn,
  relativeMaxDiff,
  useWasmWithTrainingKernels,
} from './testing/grad-parity.js';

describe('DepthwiseConv2dNativeBackpropInput (wasm)', () => {
  beforeAll(useWasmWithTrainingKernels);

  it('is registered for wasm', () => {
    expect(tf.getKernel(tf.DepthwiseConv2dNativeBackpropInput, 'wasm')?.kernelFunc).toBe(
      depthwiseConv2dNativeBackpropInputConfig.kernelFunc,
    );
  });

  it.each(depthwiseCases.map((c) => [describeCase(c), c] as const))('dx matches cpu: %s', async (_name, c) => {
    const expected = await convGradsOn('cpu', c);
    const actual = await convGradsOn('wasm', c);
    expect(relativeMaxDiff(actual.dx, expected.dx)).toBeLessThan(1e-4);
  });

  it('rejects dilation > 1 with a clear message', async () => {
    await useWasmWithTrainingKernels();
    const dy = tf.zeros([1, 4, 4, 2]);
    const filter = tf.zeros([3, 3, 2, 1]);
    expect(() =>
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter }, {
        strides: 1,
        dilations: 2,
        pad: 'same',
        inputShape: [1, 4, 4, 2],
      }),
    ).toThrow(/only dilation 1/);
    tf.dispose([dy, filter]);
  });

  it("matches cpu when the forward pass used dimRoundingMode 'ceil'", async () => {
    const attrs = { strides: 2, pad: 1, dilations: 1, dimRoundingMode: 'ceil', inputShape: [2, 8, 7, 3] };
    const inputs = { dy: hostTensor([2, 5, 4, 6], 15), filter: hostTensor([3, 3, 3, 2], 16) };
    const expected = await kernelOutputOn('cpu', tf.DepthwiseConv2dNativeBackpropInput, inputs, attrs);
    const actual = await kernelOutputOn('wasm', tf.DepthwiseConv2dNativeBackpropInput, inputs, attrs);
    expect(relativeMaxDiff(actual, expected)).toBeLessThan(1e-4);
  });
});
