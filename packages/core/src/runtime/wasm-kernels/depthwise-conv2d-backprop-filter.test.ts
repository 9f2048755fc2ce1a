import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise-conv2d-backprop-filter.js';
import {
  convGradsOn,
  depthwiseCases,
  describeCase,
  hostTensor,
  kernelOutputOn,
  relativeMaxDiff,
  useWasmWithTrainingKernels,
} from './testing/grad-parity.js';

describe('DepthwiseConv2dNativeBackpropFilter (wasm)', () => {
  beforeAll(useWasmWithTrainingKernels);

  it('is registered for wasm', () => {
    expect(tf.getKernel(tf.DepthwiseConv2dNativeBackpropFilter, 'wasm')?.kernelFunc).toBe(
      depthwiseConv2dNativeBackpropFilterConfig.kernelFunc,
    );
  });

  it.each(depthwiseCases.map((c) => [describeCase(c), c] as const))('dFilter matches cpu: %s', async (_name, c) => {
    const expected = await convGradsOn('cpu', c);
    const actual = await convGradsOn('wasm', c);
    expect(relativeMaxDiff(actual.dFilter, expected.dFilter)).toBeLessThan(1e-4);
  });

  it("matches cpu when the forward pass used dimRoundingMode 'ceil'", async () => {
    const attrs = { strides: 2, pad: 1, dilations: 1, dimRoundingMode: 'ceil', filterShape: [3, 3, 3, 2] };
    const inputs = { x: hostTensor([2, 8, 7, 3], 17), dy: hostTensor([2, 5, 4, 6], 18) };
    const expected = await kernelOutputOn('cpu', tf.DepthwiseConv2dNativeBackpropFilter, inputs, attrs);
    const actual = await kernelOutputOn('wasm', tf.DepthwiseConv2dNativeBackpropFilter, inputs, attrs);
    expect(relativeMaxDiff(actual, expected)).toBeLessThan(1e-4);
  });

  it('rejects dilation > 1 with a clear message', async () => {
    await useWasmWithTrainingKernels();
    const x = tf.zeros([1, 4, 4, 2]);
    const dy = tf.zeros([1, 4, 4, 2]);
    expect(() =>
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, {
        strides: 1,
        dilations: [2, 2],
        pad: 'same',
        filterShape: [3, 3, 2, 1],
      }),
    ).toThrow(/only dilation 1/);
    tf.dispose([x, dy]);
  });
});
