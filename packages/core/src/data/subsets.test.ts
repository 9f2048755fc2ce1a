import { describe, expect, it } from 'vitest';
import type { ImageSet } from './image-set.js';
import { defenderSubset, seededPermutation, subset } from './subsets.js';

/** count images of shape [1, 2, 1] whose pixels are [n, -n], labelled by labelOf. */
function numbered(count: number, labelOf: (n: number) => number): ImageSet {
  const images = new Float32Array(count * 2);
  for (let n = 0; n < count; n++) images.set([n, -n], 2 * n);
  return { images, labels: Int32Array.from({ length: count }, (_, n) => labelOf(n)), count, shape: [1, 2, 1] };
}

describe('seededPermutation', () => {
  it('is a reproducible permutation', () => {
    const p = seededPermutation(100, 3);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(seededPermutation(100, 3)).toEqual(p);
    expect(seededPermutation(100, 4)).not.toEqual(p);
    expect(seededPermutation(0, 1).length).toBe(0);
  });
});

describe('subset', () => {
  it('copies the chosen images in order', () => {
    const set = numbered(5, (n) => n % 2);
    const s = subset(set, [4, 1]);
    expect(s.count).toBe(2);
    expect(Array.from(s.images)).toEqual([4, -4, 1, -1]);
    expect(Array.from(s.labels)).toEqual([0, 1]);
    s.images[0] = 99;
    expect(set.images[8]).toBe(4);
    expect(() => subset(set, [5])).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
  });
});

describe('defenderSubset', () => {
  // 1000 images of class 0, 600 of class 1, 400 of class 2, interleaved.
  const train = numbered(2000, (n) => (n % 10 < 5 ? 0 : n % 10 < 8 ? 1 : 2));

  it('takes the same share of every class', () => {
    const d = defenderSubset(train);
    expect(d.name).toBe('defender-5%-seed0');
    expect(d.count).toBe(100);
    const perClass = [0, 0, 0];
    for (const label of d.labels) perClass[label]++;
    expect(perClass).toEqual([50, 30, 20]);
  });

  it('holds distinct training images matching their indices', () => {
    const d = defenderSubset(train, 0.1, 5);
    expect(d.name).toBe('defender-10%-seed5');
    expect(new Set(d.indices).size).toBe(d.count);
    d.indices.forEach((i, k) => {
      expect(d.images[2 * k]).toBe(i);
      expect(d.labels[k]).toBe(train.labels[i]);
    });
  });

  it('is reproducible for a seed and differs across seeds', () => {
    expect(defenderSubset(train, 0.05, 1).indices).toEqual(defenderSubset(train, 0.05, 1).indices);
    expect(defenderSubset(train, 0.05, 1).indices).not.toEqual(defenderSubset(train, 0.05, 2).indices);
  });

  it('keeps at least one image per class and all of them at share 1', () => {
    const small = numbered(12, (n) => (n < 10 ? 0 : 1));
    expect(Array.from(defenderSubset(small, 0.01).labels).sort()).toEqual([0, 1]);
    expect(defenderSubset(small, 1).count).toBe(12);
    expect(defenderSubset(train, 0.025).name).toBe('defender-2.5%-seed0');
  });

  it('rejects a share outside (0, 1]', () => {
    for (const share of [0, -0.1, 1.5, Number.NaN]) {
      expect(() => defenderSubset(train, share)).toThrow(expect.objectContaining({ code: 'E_USAGE', message: expect.stringMatching(/share must be in \(0, 1\]/) }));
    }
  });
});
