import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../runtime/backend.js';
import { resizeBicubicAlignCorners } from './bicubic.js';
import { gridSampleBilinear } from './grid-sample.js';
import { mulberry32 } from './random.js';
import { wanetTriggerFactory } from './wanet.js';
import { wanetSampleGrid } from './wanet-field.js';

beforeAll(async () => {
  await initBackend('cpu');
});

function randomImages(n: number, h: number, w: number, c: number, seed: number): tf.Tensor4D {
  const r = mulberry32(seed);
  return tf.tensor4d(Float32Array.from({ length: n * h * w * c }, () => r()), [n, h, w, c]);
}

function run(trigger: { apply(x: tf.Tensor4D): tf.Tensor4D }, x: tf.Tensor4D): Float32Array {
  const out = trigger.apply(x);
  const values = out.dataSync() as Float32Array;
  out.dispose();
  return values;
}

describe('resizeBicubicAlignCorners', () => {
  it('keeps a grid of the same size and the corners', () => {
    const src = new Float32Array([1, 2, 4, 8, 3, 5, 7, 9, 0, 1, 0, 1]);
    expect(resizeBicubicAlignCorners(src, 3, 4, 3, 4)).toEqual(src);
    const up = resizeBicubicAlignCorners(src, 3, 4, 7, 9);
    expect([up[0], up[8], up[54], up[62]]).toEqual([1, 8, 0, 1]);
  });

  it('interpolates with the a = -0.75 cubic kernel', () => {
    // Midway (t = 0.5) the weights are -0.09375, 0.59375, 0.59375, -0.09375:
    // between 2 and 4 of [1, 2, 4, 8]: -0.09375 + 1.1875 + 2.375 - 0.75 = 2.71875.
    const up = resizeBicubicAlignCorners(new Float32Array([1, 2, 4, 8]), 1, 4, 1, 7);
    expect(up[3]).toBeCloseTo(2.71875, 6);
    // At the border the missing neighbour repeats the edge: between 1 and 2,
    // -0.09375 * 1 + 0.59375 * 1 + 0.59375 * 2 - 0.09375 * 4 = 1.3125.
    expect(up[1]).toBeCloseTo(1.3125, 6);
    // A constant stays constant, and one value fills everything.
    expect(Array.from(resizeBicubicAlignCorners(new Float32Array(4).fill(3), 2, 2, 5, 5)).every((v) => Math.abs(v - 3) < 1e-6)).toBe(true);
    expect(Array.from(resizeBicubicAlignCorners(new Float32Array([2]), 1, 1, 2, 3))).toEqual([2, 2, 2, 2, 2, 2]);
  });
});

describe('gridSampleBilinear', () => {
  it('interpolates between the four neighbours and clamps at the border', () => {
    const images = tf.tensor4d([0, 1, 2, 3, 10, 20, 30, 40], [2, 2, 2, 1]);
    // (x, y) positions: centre, right column a quarter down, beyond the bottom-right corner.
    const grid = tf.tensor3d([0.5, 0.5, 1, 0.25, 5, 5], [1, 3, 2]);
    const out = gridSampleBilinear(images, grid);
    expect(out.shape).toEqual([2, 1, 3, 1]);
    expect(Array.from(out.dataSync())).toEqual([1.5, 1.5, 3, 25, 25, 40]);
    tf.dispose([images, grid, out]);
  });
});

describe('wanet trigger', () => {
  it('is the identity when s = 0', () => {
    expect(wanetSampleGrid(3, 2, { k: 4, s: 0, seed: 5 })).toEqual(new Float32Array([0, 0, 1, 0, 0, 1, 1, 1, 0, 2, 1, 2]));
    const trigger = wanetTriggerFactory.create({ type: 'wanet', s: 0 }, [12, 10, 3]);
    const x = randomImages(2, 12, 10, 3, 1);
    const out = run(trigger, x);
    const original = x.dataSync();
    expect(out.every((v, i) => Math.abs(v - original[i]) <= 1e-6)).toBe(true);
    x.dispose();
  });

  it('warps with the paper defaults, stays in [0, 1] and repeats per seed', () => {
    const trigger = wanetTriggerFactory.create({ type: 'wanet' }, [16, 16, 1]);
    expect(trigger.spec).toEqual({ type: 'wanet', k: 4, s: 0.5, seed: 0 });
    const x = randomImages(3, 16, 16, 1, 2);
    const original = x.dataSync();
    const a = run(trigger, x);
    expect(a.some((v, i) => Math.abs(v - original[i]) > 1e-3)).toBe(true);
    expect(a.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(run(wanetTriggerFactory.create({ type: 'wanet' }, [16, 16, 1]), x)).toEqual(a);
    expect(run(wanetTriggerFactory.create({ type: 'wanet', seed: 1 }, [16, 16, 1]), x)).not.toEqual(a);
    x.dispose();
  });

  it('moves pixels by about s / H * (size - 1) / 2 times the unit-mean noise', () => {
    const h = 32;
    const grid = wanetSampleGrid(h, h, { k: 4, s: 8, seed: 3 });
    let total = 0;
    let inside = true;
    for (let p = 0; p < h * h; p++) {
      const dx = grid[2 * p] - (p % h);
      const dy = grid[2 * p + 1] - Math.floor(p / h);
      total += Math.abs(dx) + Math.abs(dy);
      inside &&= grid[2 * p] >= 0 && grid[2 * p] <= h - 1 && grid[2 * p + 1] >= 0 && grid[2 * p + 1] <= h - 1;
    }
    expect(inside).toBe(true);
    // Nominal mean |offset| = 8 / 32 * 31 / 2 = 3.875 pixels; upsampling smooths it, clamping trims it.
    const mean = total / (2 * h * h);
    expect(mean).toBeGreaterThan(1);
    expect(mean).toBeLessThan(3.875 * 1.5);
  });

  it('rejects bad parameters and leaks no tensors', () => {
    expect(() => wanetTriggerFactory.create({ type: 'wanet', k: 0 }, [8, 8, 1])).toThrow(/k must be a positive integer/);
    expect(() => wanetTriggerFactory.create({ type: 'wanet', s: -1 }, [8, 8, 1])).toThrow(/s must be a non-negative number/);
    const trigger = wanetTriggerFactory.create({ type: 'wanet' }, [8, 8, 1]);
    const x = tf.zeros([2, 8, 8, 1]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    trigger.apply(x).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
