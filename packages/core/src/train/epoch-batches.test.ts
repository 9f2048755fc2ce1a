import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticDataset } from '../data/synthetic.js';
import { initBackend } from '../runtime/backend.js';
import { epochBatches, type EpochBatchOptions } from './epoch-batches.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('epochBatches', () => {
  it("composes each batch from the augmented raw pixels, then normalises it; the same batches when resumed at a step, no tensor left", () => {
    const data = syntheticDataset({ classes: 4, shape: [8, 8, 1], trainCount: 40, seed: 5 });
    const base: EpochBatchOptions = { batchSize: 16, seed: 3, normalization: { mean: [0.5], std: [0.25] }, augment: { padCrop: 1, flip: true } };
    const seen: Array<{ epoch: number; step: number; min: number; max: number }> = [];
    const o: EpochBatchOptions = {
      ...base,
      // Doubles the batch with a white-square copy labelled 0, as an attack's triggered half.
      compose: (x, y, at) => {
        seen.push({ ...at, min: tf.min(x).dataSync()[0], max: tf.max(x).dataSync()[0] });
        const marked = tf.maximum(x, tf.pad(tf.ones([x.shape[0], 2, 2, 1]), [[0, 0], [6, 0], [6, 0], [0, 0]]));
        return { x: tf.concat([x, marked]) as tf.Tensor4D, y: tf.concat([y, tf.zerosLike(y)]) as tf.Tensor1D };
      },
    };
    const before = tf.memory().numTensors;
    const batches = [...epochBatches(data.train, 1, o)];
    expect(batches).toHaveLength(2);
    expect(seen.map((s) => [s.epoch, s.step])).toEqual([[1, 0], [1, 1]]);
    seen.forEach((s) => {
      expect(s.min).toBeGreaterThanOrEqual(0);
      expect(s.max).toBeLessThanOrEqual(1);
    });
    const plain = [...epochBatches(data.train, 1, base)];
    batches.forEach((b, i) => tf.tidy(() => {
      expect(b.x.shape).toEqual([32, 8, 8, 1]);
      // The first half is the plain batch; the copy's corner is white, normalised: (1 - 0.5) / 0.25.
      expect(Array.from(tf.slice(b.x, 0, 16).dataSync())).toEqual(Array.from(plain[i].x.dataSync()));
      expect(Array.from(b.y.dataSync())).toEqual([...Array.from(plain[i].y.dataSync()), ...Array(16).fill(0)]);
      expect(tf.slice(b.x, [16, 7, 7, 0], [16, 1, 1, 1]).dataSync().every((v) => v === 2)).toBe(true);
    }));
    const resumed = [...epochBatches(data.train, 1, o, 1)];
    expect(Array.from(resumed[0].x.dataSync())).toEqual(Array.from(batches[1].x.dataSync()));
    tf.dispose([...batches, ...plain, ...resumed].flatMap((b) => [b.x, b.y]));
    expect(tf.memory().numTensors).toBe(before);
  });
});
