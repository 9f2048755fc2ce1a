import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageSet } from '../data/image-set.js';
import { initBackend } from '../runtime/backend.js';
import { predictClasses } from './predict.js';

beforeAll(async () => {
  await initBackend('cpu');
});

// 1x1 images with 2 channels; the fake model's scores are the pixel's channels.
const set: ImageSet = {
  images: Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.6, 0.1, 0.3, 0.4, 0.7, 0.0]),
  labels: Int32Array.from([0, 1, 0, 1, 0]),
  count: 5,
  shape: [1, 1, 2],
};

function fakeModel(): { forward: (x: tf.Tensor4D) => tf.Tensor; seen: number[][] } {
  const seen: number[][] = [];
  return {
    seen,
    forward: (x) => {
      seen.push(Array.from(x.dataSync()));
      return tf.reshape(x, [x.shape[0], 2]);
    },
  };
}

describe('predictClasses', () => {
  it('takes the argmax in batches, the last one short', () => {
    const model = fakeModel();
    const progress: [number, number][] = [];
    const before = tf.memory().numTensors;
    const classes = predictClasses(model.forward, set, { batch: 2, onBatch: (done, total) => progress.push([done, total]) });
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(classes)).toEqual([0, 1, 0, 1, 0]);
    expect(model.seen.map((b) => b.length / 2)).toEqual([2, 2, 1]);
    expect(progress).toEqual([[2, 5], [4, 5], [5, 5]]);
  });

  it('normalises each batch per channel before the forward pass', () => {
    const model = fakeModel();
    // (x - [0.5, 0]) / [1, 0.1]: image 2 (0.6, 0.1) becomes (0.1, 1.0) and flips to class 1.
    const classes = predictClasses(model.forward, set, { normalization: { mean: [0.5, 0], std: [1, 0.1] } });
    expect(model.seen).toHaveLength(1);
    const expected = [0.4, 1, -0.3, 8, 0.1, 1, -0.2, 4, 0.2, 0];
    model.seen[0].forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    expect(Array.from(classes)).toEqual([1, 1, 1, 1, 0]);
    // One mean/std value covers every channel.
    const one = fakeModel();
    predictClasses(one.forward, set, { batch: 5, normalization: { mean: [0.5], std: [0.5] } });
    expect(one.seen[0][0]).toBeCloseTo(0.8, 6);
    expect(one.seen[0][1]).toBeCloseTo(-0.8, 6);
  });

  it('rejects a bad normalization, a bad batch and a model output of the wrong shape', () => {
    const model = fakeModel();
    expect(() => predictClasses(model.forward, set, { normalization: { mean: [0, 0, 0], std: [1, 1, 1] } })).toThrow(/mean has 3 values for 2 channels/);
    expect(() => predictClasses(model.forward, set, { batch: 0 })).toThrow(/batch must be a positive integer/);
    const before = tf.memory().numTensors;
    expect(() => predictClasses((x) => tf.reshape(x, [-1]), set)).toThrow(/returned shape \[10\] for 5 images/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives an empty result for an empty set', () => {
    expect(predictClasses(fakeModel().forward, { images: new Float32Array(0), labels: new Int32Array(0), count: 0, shape: [1, 1, 2] })).toHaveLength(0);
  });
});
