import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../runtime/backend.js';
import { imageBatch, normalize } from './batches.js';
import type { ImageSet } from './image-set.js';

beforeAll(async () => {
  await initBackend('cpu');
});

// Three 1x2 RGB images; pixel values encode (image, pixel, channel).
const set: ImageSet = {
  images: Float32Array.from({ length: 3 * 2 * 3 }, (_, i) => i / 100),
  labels: Int32Array.from([2, 0, 1]),
  count: 3,
  shape: [1, 2, 3],
};

describe('imageBatch', () => {
  it('gathers the chosen images and int32 labels', () => {
    const { x, y } = imageBatch(set, [2, 0]);
    expect(x.shape).toEqual([2, 1, 2, 3]);
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.dataSync())).toEqual([1, 2]);
    const expected = [12, 13, 14, 15, 16, 17, 0, 1, 2, 3, 4, 5].map((v) => Math.fround(v / 100));
    expect(Array.from(x.dataSync())).toEqual(expected);
    tf.dispose([x, y]);
  });

  it('rejects indices outside the set', () => {
    expect(() => imageBatch(set, [3])).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
  });
});

describe('normalize', () => {
  it('applies (x - mean) / std per channel without leaking tensors', () => {
    const { x, y } = imageBatch(set, [0]);
    const before = tf.memory().numTensors;
    const out = normalize(x, { mean: [0.01, 0.02, 0.03], std: [0.5, 0.25, 2] });
    expect(tf.memory().numTensors).toBe(before + 1);
    const got = Array.from(out.dataSync());
    const want = [(0 - 0.01) / 0.5, (0.01 - 0.02) / 0.25, (0.02 - 0.03) / 2, (0.03 - 0.01) / 0.5, (0.04 - 0.02) / 0.25, (0.05 - 0.03) / 2];
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    tf.dispose([x, y, out]);
  });

  it('rejects a channel count mismatch', () => {
    const { x, y } = imageBatch(set, [0]);
    expect(() => normalize(x, { mean: [0.5], std: [0.25] })).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    tf.dispose([x, y]);
  });
});
