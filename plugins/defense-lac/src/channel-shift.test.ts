import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@qcb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { shiftChannels } from './channel-shift.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('shiftChannels', () => {
  it('moves every sample by +-radius per channel, the same at every position, with both signs', () => {
    const x = tf.randomNormal([6, 3, 4, 5]);
    const shifted = shiftChannels(x, 0.25, 1);
    const d = tf.sub(shifted, x);
    const v = d.arraySync() as number[][][][];
    const signs = new Set<number>();
    for (const sample of v) {
      for (let c = 0; c < 5; c++) {
        const first = sample[0][0][c];
        expect(Math.abs(first)).toBeCloseTo(0.25, 5);
        signs.add(Math.sign(first));
        for (const row of sample) for (const px of row) expect(px[c]).toBeCloseTo(first, 5);
      }
    }
    expect([...signs].sort()).toEqual([-1, 1]);
    tf.dispose([x, shifted, d]);
  });

  it('draws the same shifts for the same seed, others for another, on dense inputs too', () => {
    const x = tf.zeros([8, 16]);
    const [a, b, c] = [1, 1, 2].map((seed) => shiftChannels(x, 0.5, seed));
    expect(a.arraySync()).toEqual(b.arraySync());
    expect(a.arraySync()).not.toEqual(c.arraySync());
    expect(a.shape).toEqual([8, 16]);
    tf.dispose([x, a, b, c]);
  });

  it('leaks no tensor', () => {
    const x = tf.ones([2, 2, 2, 3]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) shiftChannels(x, 0.1, i).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
