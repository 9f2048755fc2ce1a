import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageSet } from '../data/image-set.js';
import { initBackend } from '../runtime/backend.js';
import { evaluateClassifier } from './evaluate.js';

beforeAll(async () => {
  await initBackend('cpu');
});

// 1x1 single-channel images; the fake model predicts class round(2 * x), i.e. 0, 1 or 2.
const forward = (x: tf.Tensor4D): tf.Tensor =>
  tf.oneHot(tf.cast(tf.round(tf.mul(tf.reshape(x, [-1]), 2)), 'int32'), 3);

function set(pixels: number[], labels: number[]): ImageSet {
  return { images: Float32Array.from(pixels), labels: Int32Array.from(labels), count: labels.length, shape: [1, 1, 1] };
}

describe('evaluateClassifier', () => {
  const clean = set([0, 0.5, 1, 1], [0, 1, 2, 0]);
  // Predictions 2, 2, 0, 1 for true labels 0, 1, 2, 1: 2 of the 3 non-target images hit target 2.
  const triggered = set([1, 1, 0, 0.5], [0, 1, 2, 1]);

  it('reports BA on the clean set and ASR on the triggered set', () => {
    const progress: [number, number][] = [];
    const before = tf.memory().numTensors;
    const result = evaluateClassifier(forward, clean, triggered, 2, { batch: 3, onBatch: (d, t) => progress.push([d, t]) });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.ba).toBe(75);
    expect(result.asr).toBeCloseTo(200 / 3, 10);
    expect(result.n).toBe(4);
    expect(progress).toEqual([[3, 8], [4, 8], [7, 8], [8, 8]]);
  });

  it('leaves ASR null without a triggered set and needs a target with one', () => {
    expect(evaluateClassifier(forward, clean, null, null)).toEqual({ ba: 75, asr: null, n: 4 });
    expect(evaluateClassifier(forward, clean, null, 2)).toEqual({ ba: 75, asr: null, n: 4 });
    expect(() => evaluateClassifier(forward, clean, triggered, null)).toThrow(/needs a target class/);
  });
});
