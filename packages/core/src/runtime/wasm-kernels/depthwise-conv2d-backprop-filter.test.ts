import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise-conv2d-backprop-filter.js';
import {
  convGradsOn,
  depthwiseCases,
  describeCase,
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
});
