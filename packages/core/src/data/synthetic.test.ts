import { describe, expect, it } from 'vitest';
import { mulberry32 } from './random.js';
import { syntheticDataset } from './synthetic.js';

describe('mulberry32', () => {
  it('is deterministic and in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const values = Array.from({ length: 1000 }, () => a());
    expect(values).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(values.reduce((s, v) => s + v, 0) / values.length).toBeCloseTo(0.5, 1);
  });
});

describe('syntheticDataset', () => {
  it('has the default shape, counts and normalization', () => {
    const data = syntheticDataset();
    expect(data.classes).toBe(4);
    expect(data.train.count).toBe(256);
    expect(data.test.count).toBe(64);
    expect(data.train.shape).toEqual([8, 8, 1]);
    expect(data.train.images.length).toBe(256 * 64);
    expect(data.normalization).toEqual({ mean: [0.5], std: [0.25] });
    expect(data.train.images.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(Array.from(data.train.labels.subarray(0, 5))).toEqual([0, 1, 2, 3, 0]);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = syntheticDataset({ seed: 7, shape: [6, 6, 3], classes: 3 });
    const b = syntheticDataset({ seed: 7, shape: [6, 6, 3], classes: 3 });
    const c = syntheticDataset({ seed: 8, shape: [6, 6, 3], classes: 3 });
    expect(a.train.images).toEqual(b.train.images);
    expect(a.test.images).toEqual(b.test.images);
    expect(a.train.labels).toEqual(b.train.labels);
    expect(a.train.images).not.toEqual(c.train.images);
    expect(a.normalization.mean).toEqual([0.5, 0.5, 0.5]);
  });

  it('is learnable: each class is brightest in its own cell', () => {
    const data = syntheticDataset({ classes: 4, noise: 0.2 });
    // Nearest class-mean classifier on the test set.
    const means = Array.from({ length: 4 }, () => new Float64Array(64));
    for (let n = 0; n < data.train.count; n++) {
      for (let p = 0; p < 64; p++) means[data.train.labels[n]][p] += data.train.images[n * 64 + p] / 64;
    }
    let correct = 0;
    for (let n = 0; n < data.test.count; n++) {
      const dist = means.map((m) => m.reduce((s, v, p) => s + (v - data.test.images[n * 64 + p]) ** 2, 0));
      if (dist.indexOf(Math.min(...dist)) === data.test.labels[n]) correct++;
    }
    expect(correct).toBe(data.test.count);
  });

  it('rejects impossible options', () => {
    expect(() => syntheticDataset({ classes: 20, shape: [3, 3, 1] })).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(() => syntheticDataset({ classes: 0 })).toThrow(/classes must be an integer >= 1/);
    expect(() => syntheticDataset({ noise: 2 })).toThrow(/noise must be in \[0, 1\]/);
  });
});
