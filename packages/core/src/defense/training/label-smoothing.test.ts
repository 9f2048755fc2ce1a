import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../runtime/backend.js';
import { crossEntropy } from '../../train/train-step.js';
import { smoothedCrossEntropy } from './label-smoothing.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('smoothedCrossEntropy', () => {
  it('is the plain cross-entropy at 0 and has gradient softmax - target (1 - s on the label, s / (k - 1) elsewhere)', () => {
    tf.tidy(() => {
      const logits = tf.tensor2d([[2, -1, 0.5, 0], [0, 0, 3, -2]]);
      const labels = tf.tensor1d([0, 2], 'int32');
      expect(smoothedCrossEntropy(logits, labels, 0).dataSync()[0]).toBeCloseTo(crossEntropy(logits, labels).dataSync()[0], 5);
      const grad = tf.grad((l: tf.Tensor) => smoothedCrossEntropy(l, labels, 0.1))(logits).arraySync() as number[][];
      const p = tf.softmax(logits).arraySync() as number[][];
      const target = [[0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3], [0.1 / 3, 0.1 / 3, 0.9, 0.1 / 3]];
      grad.forEach((row, i) => row.forEach((g, j) => expect(g).toBeCloseTo((p[i][j] - target[i][j]) / 2, 5)));
    });
  });
});
