import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelFromOps } from './kernel-from-ops.js';
import { seededValues, useWasmWithTrainingKernels } from './testing/grad-parity.js';

const ADD_ONE = 'QcbTestAddOne';
const IDENTITY = 'QcbTestIdentity';

function counters(): { numTensors: number; numBytes: number; numDataBuffers: number; backendDataIds: number } {
  const memory = tf.memory();
  return {
    numTensors: memory.numTensors,
    numBytes: memory.numBytes,
    numDataBuffers: memory.numDataBuffers,
    backendDataIds: tf.backend().numDataIds(),
  };
}

describe('kernelFromOps', () => {
  beforeAll(async () => {
    await useWasmWithTrainingKernels();
    // Makes the engine verify, after every kernel, that it left no stray data ids behind.
    tf.env().set('IS_TEST', true);
    tf.registerKernel({
      kernelName: ADD_ONE,
      backendName: 'wasm',
      kernelFunc: (args) => kernelFromOps(args.backend as tf.KernelBackend, [args.inputs.x!] as const, (x) => tf.add(x, 1)),
    });
    tf.registerKernel({
      kernelName: IDENTITY,
      backendName: 'wasm',
      kernelFunc: (args) => kernelFromOps(args.backend as tf.KernelBackend, [args.inputs.x!] as const, (x) => x),
    });
  });

  afterAll(() => {
    tf.unregisterKernel(ADD_ONE, 'wasm');
    tf.unregisterKernel(IDENTITY, 'wasm');
    tf.env().set('IS_TEST', false);
  });

  it('returns data the output tensor owns, independent of the inputs', () => {
    const before = counters();
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.engine().runKernel(ADD_ONE, { x }, {}) as tf.Tensor;
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([2, 3, 4]);
    y.dispose();
    expect(counters()).toEqual(before);
  });

  it('lets an output alias an input without freeing it twice', () => {
    const before = counters();
    const x = tf.tensor1d([5, 6]);
    const y = tf.engine().runKernel(IDENTITY, { x }, {}) as tf.Tensor;
    y.dispose();
    expect(Array.from(x.dataSync())).toEqual([5, 6]);
    x.dispose();
    expect(counters()).toEqual(before);
  });

  it('leaks nothing across 200 conv gradient calls', () => {
    const x = tf.tensor4d(seededValues(2 * 9 * 9 * 4, 1), [2, 9, 9, 4]);
    const filter = tf.tensor4d(seededValues(3 * 3 * 4 * 6, 2), [3, 3, 4, 6]);
    const depthwiseFilter = tf.tensor4d(seededValues(3 * 3 * 4 * 2, 3), [3, 3, 4, 2]);
    const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): tf.Scalar => {
      const conv = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same');
      const depthwise = tf.depthwiseConv2d(a as tf.Tensor4D, c as tf.Tensor4D, 1, 'valid');
      return tf.add(tf.sum(tf.square(conv)), tf.sum(tf.square(depthwise)));
    };
    const step = (): void => {
      const grads = tf.grads(loss)([x, filter, depthwiseFilter]);
      tf.dispose(grads);
    };
    step();
    const before = counters();
    for (let i = 0; i < 200; i++) {
      step();
    }
    expect(counters()).toEqual(before);
    tf.dispose([x, filter, depthwiseFilter]);
  });

  it('leaks nothing when the conv kernels run outside any tidy scope', () => {
    const x = tf.tensor4d(seededValues(2 * 8 * 8 * 4, 4), [2, 8, 8, 4]);
    const dy = tf.tensor4d(seededValues(2 * 4 * 4 * 6, 5), [2, 4, 4, 6]);
    const filter = tf.tensor4d(seededValues(3 * 3 * 4 * 6, 6), [3, 3, 4, 6]);
    const depthwiseDy = tf.tensor4d(seededValues(2 * 4 * 4 * 8, 7), [2, 4, 4, 8]);
    const depthwiseFilter = tf.tensor4d(seededValues(3 * 3 * 4 * 2, 8), [3, 3, 4, 2]);
    const common = { strides: 2, pad: 'same', dilations: 1 };
    const calls: Array<[string, tf.NamedTensorMap, tf.NamedAttrMap]> = [
      [tf.Conv2DBackpropInput, { dy, filter }, { ...common, dataFormat: 'NHWC', inputShape: x.shape }],
      [tf.Conv2DBackpropFilter, { x, dy }, { ...common, dataFormat: 'NHWC', filterShape: filter.shape }],
      [tf.DepthwiseConv2dNativeBackpropInput, { dy: depthwiseDy, filter: depthwiseFilter }, { ...common, inputShape: x.shape }],
      [tf.DepthwiseConv2dNativeBackpropFilter, { x, dy: depthwiseDy }, { ...common, filterShape: depthwiseFilter.shape }],
    ];
    const before = counters();
    for (let i = 0; i < 50; i++) {
      for (const [name, inputs, attrs] of calls) {
        (tf.engine().runKernel(name, inputs, attrs) as tf.Tensor).dispose();
      }
    }
    expect(counters()).toEqual(before);
    tf.dispose([x, dy, filter, depthwiseDy, depthwiseFilter]);
  });
});
