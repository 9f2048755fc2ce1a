import { describe, expect, it } from 'vitest';
import { mulberry32, sampleIndices } from './random.js';

describe('mulberry32', () => {
  it('repeats per seed, differs across seeds and stays in [0, 1)', () => {
    const take = (seed: number) => { const r = mulberry32(seed); return Array.from({ length: 1000 }, () => r()); };
    const a = take(1);
    expect(a).toEqual(take(1));
    expect(a).not.toEqual(take(2));
    expect(a.every((v) => v >= 0 && v < 1)).toBe(true);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

describe('sampleIndices', () => {
  it('picks distinct indices in range', () => {
    const picked = sampleIndices(10, 4, mulberry32(3));
    expect(picked).toHaveLength(4);
    expect(new Set(picked).size).toBe(4);
    expect([...picked].every((i) => i >= 0 && i < 10)).toBe(true);
    expect([...sampleIndices(5, 5, mulberry32(1))].sort()).toEqual([0, 1, 2, 3, 4]);
  });
});
