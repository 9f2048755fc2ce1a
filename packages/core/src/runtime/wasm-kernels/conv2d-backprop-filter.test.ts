import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import {
  conv2dCases,
  convGradsOn,
  describeCase,
  hostTensor,
  kernelOutputOn,
  relativeMaxDiff,
  useWasmWithTrainingKernels,
} from './testing/grad-parity.js';

describe('Conv2DBackpropFilter (wasm)', () => {
  beforeAll(useWasmWithTrainingKernels);

  it('is registered for wasm', () => {
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')?.kernelFunc).toBe(conv2DBackpropFilterConfig.kernelFunc);
  });

  it.each(conv2dCases.map((c) => [describeCase(c), c] as const))('dFilter matches cpu: %s', async (_name, c) => {
    const expected = await convGradsOn('cpu', c);
    const actual = await convGradsOn('wasm', c);
    expect(relativeMaxDiff(actual.dFilter, expected.dFilter)).toBeLessThan(1e-4);
  });

  it("matches cpu when the forward pass used dimRoundingMode 'ceil'", async () => {
    const attrs = { strides: 2, pad: 1, dataFormat: 'NHWC', dimRoundingMode: 'ceil', filterShape: [3, 3, 3, 4] };
    const inputs = { x: hostTensor([2, 8, 7, 3], 13), dy: hostTensor([2, 5, 4, 4], 14) };
    const expected = await kernelOutputOn('cpu', tf.Conv2DBackpropFilter, inputs, attrs);
    const actual = await kernelOutputOn('wasm', tf.Conv2DBackpropFilter, inputs, attrs);
    expect(relativeMaxDiff(actual, expected)).toBeLessThan(1e-4);
  });
});
