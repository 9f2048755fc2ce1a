import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../runtime/backend.js';
import { blendTrigger, blendTriggerFactory } from './blend.js';
import { blendPattern } from './blend-patterns.js';

beforeAll(async () => {
  await initBackend('cpu');
});

function applyTo(trigger: { apply(x: tf.Tensor4D): tf.Tensor4D }, values: number[], shape: [number, number, number, number]): number[] {
  const x = tf.tensor4d(values, shape);
  const out = trigger.apply(x);
  const result = Array.from(out.dataSync());
  tf.dispose([x, out]);
  return result;
}

describe('blend trigger', () => {
  it('computes (1 - alpha) x + alpha pattern on a 2x2 image', () => {
    const trigger = blendTrigger({ type: 'blend', alpha: 0.2 }, new Float32Array([1, 0, 0.5, 1]), [2, 2, 1]);
    // 0.8 * [0, 0.5, 1, 0.25] + 0.2 * [1, 0, 0.5, 1]
    const out = applyTo(trigger, [0, 0.5, 1, 0.25], [1, 2, 2, 1]);
    [0.2, 0.4, 0.9, 0.4].forEach((v, i) => expect(out[i]).toBeCloseTo(v, 6));
  });

  it('uses one-pixel vertical stripes and a checkerboard', () => {
    expect(Array.from(blendPattern('stripes', [2, 3, 1], 0))).toEqual([1, 0, 1, 1, 0, 1]);
    expect(Array.from(blendPattern('checkerboard', [2, 2, 2], 0))).toEqual([1, 1, 0, 0, 0, 0, 1, 1]);
    const trigger = blendTriggerFactory.create({ type: 'blend', alpha: 0.5, pattern: 'stripes' }, [2, 2, 1]);
    expect(trigger.spec).toEqual({ type: 'blend', alpha: 0.5, pattern: 'stripes' });
    expect(applyTo(trigger, [0.5, 0.5, 0.5, 0.5], [1, 2, 2, 1])).toEqual([0.75, 0.25, 0.75, 0.25]);
  });

  it('defaults to seeded uniform noise, fixed per seed', () => {
    const a = blendPattern('noise', [4, 4, 3], 7);
    expect(a).toEqual(blendPattern('noise', [4, 4, 3], 7));
    expect(a).not.toEqual(blendPattern('noise', [4, 4, 3], 8));
    expect(a.every((v) => v >= 0 && v < 1)).toBe(true);
    const trigger = blendTriggerFactory.create({ type: 'blend', alpha: 1 }, [4, 4, 3]);
    expect(trigger.spec).toEqual({ type: 'blend', alpha: 1, pattern: 'noise', seed: 0 });
    // alpha 1 leaves only the pattern.
    const out = applyTo(trigger, new Array<number>(48).fill(0.3), [1, 4, 4, 3]);
    expect(out).toEqual(Array.from(blendPattern('noise', [4, 4, 3], 0)));
  });

  it('rejects a bad alpha, an unknown pattern and a pattern of the wrong size', () => {
    expect(() => blendTriggerFactory.create({ type: 'blend', alpha: 0 }, [2, 2, 1])).toThrow(/alpha must be in \(0, 1\]/);
    expect(() => blendTriggerFactory.create({ type: 'blend', alpha: 0.1, pattern: 'kitty' }, [2, 2, 1]))
      .toThrow(/unknown pattern "kitty" \(available: noise, stripes, checkerboard\)/);
    expect(() => blendTrigger({ type: 'blend', alpha: 0.1 }, new Float32Array(3), [2, 2, 1])).toThrow(/pattern has 3 values, expected 2x2x1 = 4/);
  });

  it('leaks no tensors', () => {
    const trigger = blendTriggerFactory.create({ type: 'blend', alpha: 0.1 }, [4, 4, 1]);
    const x = tf.zeros([3, 4, 4, 1]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    trigger.apply(x).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
