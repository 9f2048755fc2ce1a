import { describe, expect, it } from 'vitest';
import { accuracy, benignAccuracy } from './accuracy.js';
import { attackSuccessRate } from './asr.js';

const i32 = (values: number[]): Int32Array => Int32Array.from(values);

describe('accuracy (BA)', () => {
  it('is the share of correct predictions in percent', () => {
    expect(accuracy(i32([0, 1, 2, 2]), i32([0, 1, 1, 2]))).toBe(75);
    expect(benignAccuracy(i32([3]), i32([3]))).toBe(100);
  });

  it('rejects mismatched lengths and empty sets', () => {
    expect(() => accuracy(i32([0]), i32([0, 1]))).toThrow(/1 predictions for 2 labels/);
    expect(() => accuracy(i32([]), i32([]))).toThrow(/empty set/);
  });
});

describe('attackSuccessRate', () => {
  it('skips images whose true label is the target', () => {
    // 5 triggered images, 2 of them truly class 1: the denominator is 3.
    // Non-target images 1, 3, 4 are predicted 1, 0, 1: 2 of 3 hit the target.
    const labels = i32([1, 0, 1, 2, 3]);
    const predictions = i32([1, 1, 1, 0, 1]);
    expect(attackSuccessRate(predictions, labels, 1)).toBeCloseTo(200 / 3, 10);
    // Filtering the target class out first gives the same answer.
    expect(attackSuccessRate(i32([1, 0, 1]), i32([0, 2, 3]), 1)).toBeCloseTo(200 / 3, 10);
  });

  it('is 0 when nothing flips and undefined when every image is of the target class', () => {
    expect(attackSuccessRate(i32([0, 2]), i32([0, 2]), 1)).toBe(0);
    expect(() => attackSuccessRate(i32([1, 1]), i32([1, 1]), 1)).toThrow(/no triggered images outside the target class 1/);
    expect(() => attackSuccessRate(i32([1]), i32([1, 0]), 1)).toThrow(/1 predictions for 2 labels/);
  });
});
