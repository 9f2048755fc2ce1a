import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import {
  conv2dCases,
  convGradsOn,
  describeCase,
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
});
