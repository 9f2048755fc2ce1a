import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@qcb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { attentionLoss, attentionMap } from './attention.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('attentionMap', () => {
  it('sums |f|^p over channels per position and L2-normalises each sample over positions', () => {
    tf.tidy(() => {
      const f = tf.randomNormal([3, 4, 5, 6], 0, 1, 'float32', 1);
      for (const p of [2, 1.5]) {
        const map = attentionMap(f, p);
        expect(map.shape).toEqual([3, 20]);
        const norms = tf.sqrt(tf.sum(tf.square(map), 1)).arraySync() as number[];
        norms.forEach((n) => expect(n).toBeCloseTo(1, 5));
        const raw = tf.reshape(tf.sum(tf.pow(tf.abs(f), p), -1), [3, 20]);
        const ratio = tf.div(raw, map).arraySync() as number[][];
        // Each sample's map is its raw map over one positive constant.
        ratio.forEach((row) => row.forEach((r) => expect(r / row[0]).toBeCloseTo(1, 4)));
      }
    });
  });

  it('has a loss of 0 between equal maps and the mean squared difference otherwise', () => {
    tf.tidy(() => {
      const a = attentionMap(tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 2));
      const b = attentionMap(tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 3));
      expect(attentionLoss(a, a).dataSync()[0]).toBe(0);
      const want = tf.mean(tf.square(tf.sub(a, b))).dataSync()[0];
      expect(attentionLoss(a, b).dataSync()[0]).toBeCloseTo(want, 7);
    });
  });
});
