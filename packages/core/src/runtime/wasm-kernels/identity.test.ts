import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmWithTrainingKernels } from './testing/grad-parity.js';

describe('Identity on wasm', () => {
  beforeAll(async () => {
    await useWasmWithTrainingKernels();
  });

  it('clones without copying: the clone shares the data, outlives the original, and frees it last', () => {
    const backend = tf.backend();
    const ids = backend.numDataIds();
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    expect(backend.numDataIds()).toBe(ids + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    y.dispose();
    expect(backend.numDataIds()).toBe(ids);
    const v = tf.variable(tf.tensor1d([5, 6]));
    const kept = tf.clone(v);
    v.assign(tf.tensor1d([7, 8]));
    // Assigning gives the variable new data; the clone keeps the old values.
    expect(Array.from(kept.dataSync())).toEqual([5, 6]);
    expect(Array.from(v.dataSync())).toEqual([7, 8]);
    tf.dispose([kept, v]);
  });

  it('saves what an op keeps for its gradient without a copy, and leaks nothing', () => {
    const x = tf.randomNormal([8, 6, 6, 4], 0, 1, 'float32', 3);
    const w = tf.variable(tf.randomNormal([3, 3, 4, 5], 0, 0.3, 'float32', 4));
    const buffers = tf.memory().numDataBuffers;
    const tensors = tf.memory().numTensors;
    let during = 0;
    const { value, grads } = tf.variableGrads(() => {
      const y = tf.relu(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'));
      // conv2d saves x and w, relu its input: clones that share their data. The two new
      // buffers are the conv's output and relu's; the clones add none.
      during = tf.memory().numDataBuffers - buffers;
      return tf.sum(y) as tf.Scalar;
    });
    expect(during).toBe(2);
    expect(grads[w.name].shape).toEqual(w.shape);
    tf.dispose([value, grads[w.name]]);
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([x, w]);
  });
});
