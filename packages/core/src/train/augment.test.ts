import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../runtime/backend.js';
import { augmentBatch } from './augment.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('augmentBatch', () => {
  it('crops a padded image at integer offsets: every output is a shifted copy with zero fill', () => {
    const img = tf.tensor4d(Array.from({ length: 2 * 4 * 4 }, (_, i) => (i % 16) + 1), [2, 4, 4, 1]);
    const out = augmentBatch(img, { padCrop: 1 }, 3);
    expect(out.shape).toEqual([2, 4, 4, 1]);
    const v = out.arraySync() as number[][][][];
    const src = (r: number, c: number) => (r >= 0 && r < 4 && c >= 0 && c < 4 ? r * 4 + c + 1 : 0);
    for (const sample of v) {
      const shifts = [];
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        if (sample.every((row, r) => row.every((px, c) => px[0] === src(r + dy, c + dx)))) shifts.push([dy, dx]);
      }
      expect(shifts).toHaveLength(1);
    }
    tf.dispose([img, out]);
  });

  it('shifts by every offset in [-p, p] on both axes, uniformly enough', () => {
    const n = 600;
    const img = tf.tidy(() => tf.tile(tf.pad(tf.ones([1, 1, 1, 1]), [[0, 0], [4, 3], [4, 3], [0, 0]]), [n, 1, 1, 1]));
    const out = augmentBatch(img as tf.Tensor4D, { padCrop: 2 }, 11);
    const counts = new Map<string, number>();
    (out.arraySync() as number[][][][]).forEach((s) => s.forEach((row, r) => row.forEach((px, c) => {
      if (px[0] > 0.5) counts.set(`${r - 4},${c - 4}`, (counts.get(`${r - 4},${c - 4}`) ?? 0) + 1);
    })));
    expect(counts.size).toBe(25);
    expect(Math.min(...counts.values())).toBeGreaterThan(n / 25 / 2);
    tf.dispose([img, out]);
  });

  it('flips some images left-right, is deterministic per seed and leaks nothing', () => {
    const img = tf.tensor4d(Array.from({ length: 16 * 3 }, (_, i) => i % 3), [16, 1, 3, 1]);
    const before = tf.memory().numTensors;
    const a = augmentBatch(img, { flip: true }, 7);
    const b = augmentBatch(img, { flip: true }, 7);
    expect(a.arraySync()).toEqual(b.arraySync());
    const rows = (a.arraySync() as number[][][][]).map((s) => s[0].map((p) => p[0]).join(''));
    expect(new Set(rows)).toEqual(new Set(['012', '210']));
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(before);
    img.dispose();
  });
});
