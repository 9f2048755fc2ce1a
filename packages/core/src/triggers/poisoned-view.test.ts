import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageSet } from '../data/image-set.js';
import { initBackend } from '../runtime/backend.js';
import { patchTriggerFactory } from './patch.js';
import { poisonBatch, poisonedView } from './poisoned-view.js';

beforeAll(async () => {
  await initBackend('cpu');
});

// A 1x1 patch of value 1 at (0, 0) of 2x2 grey images.
const trigger = patchTriggerFactory.create({ type: 'patch', size: 1, row: 0, col: 0 }, [2, 2, 1]);

function greySet(labels: number[]): ImageSet {
  const images = Float32Array.from({ length: labels.length * 4 }, (_, i) => (Math.floor(i / 4) + 1) / 20);
  return { images, labels: Int32Array.from(labels), count: labels.length, shape: [2, 2, 1] };
}

describe('poisonedView', () => {
  it('triggers every non-target image in batches and keeps the true labels', () => {
    const set = greySet([0, 1, 2, 1, 0]);
    const before = tf.memory().numTensors;
    const view = poisonedView(set, trigger, 1, { batch: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(view.count).toBe(3);
    expect(view.shape).toEqual([2, 2, 1]);
    expect(Array.from(view.labels)).toEqual([0, 2, 0]);
    expect(Array.from(view.images)).toEqual(Array.from(new Float32Array([
      1, 0.05, 0.05, 0.05,
      1, 0.15, 0.15, 0.15,
      1, 0.25, 0.25, 0.25,
    ])));
    // The source set is untouched.
    expect(set.images[0]).toBeCloseTo(0.05, 6);
  });

  it('gives an empty set when every image is of the target class', () => {
    const view = poisonedView(greySet([3, 3]), trigger, 3);
    expect(view.count).toBe(0);
    expect(view.images).toHaveLength(0);
  });

  it('rejects a set whose arrays do not match its count', () => {
    expect(() => poisonedView({ ...greySet([0, 1]), count: 3 }, trigger, 1)).toThrow(/expected 3 images of 2x2x1/);
  });
});

describe('poisonBatch', () => {
  it('replaces a seeded share of the batch with triggered, relabelled copies', () => {
    const set = greySet([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const x = tf.tensor4d(set.images, [10, 2, 2, 1]);
    const y = tf.tensor1d(set.labels, 'int32');
    const before = tf.memory().numTensors;
    const out = poisonBatch(x, y, trigger, 7, 0.3, 42);
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(out.y.dtype).toBe('int32');
    const images = out.x.dataSync();
    const labels = out.y.dataSync();
    expect(out.x.shape).toEqual([10, 2, 2, 1]);
    const poisoned = [...labels.keys()].filter((i) => images[i * 4] === 1);
    expect(poisoned).toHaveLength(3);
    for (let i = 0; i < 10; i++) {
      const isPoisoned = poisoned.includes(i);
      expect(labels[i]).toBe(isPoisoned ? 7 : i);
      // Only the patch pixel changes.
      expect(images[i * 4]).toBeCloseTo(isPoisoned ? 1 : (i + 1) / 20, 6);
      expect(images[i * 4 + 3]).toBeCloseTo((i + 1) / 20, 6);
    }
    // The same seed picks the same images; the inputs stay the caller's.
    const again = poisonBatch(x, y, trigger, 7, 0.3, 42);
    expect(Array.from(again.y.dataSync())).toEqual(Array.from(labels));
    expect(Array.from(y.dataSync())).toEqual(Array.from(set.labels));
    tf.dispose([x, y, out.x, out.y, again.x, again.y]);
    expect(tf.memory().numTensors).toBe(before - 2);
  });

  it('copies the batch at rate 0, poisons all of it at rate 1, and rejects other rates', () => {
    const x = tf.tensor4d(greySet([0, 1, 2, 3]).images, [4, 2, 2, 1]);
    const y = tf.tensor1d([0, 1, 2, 3], 'int32');
    const none = poisonBatch(x, y, trigger, 1, 0, 1);
    expect(none.x).not.toBe(x);
    expect(Array.from(none.x.dataSync())).toEqual(Array.from(x.dataSync()));
    expect(Array.from(none.y.dataSync())).toEqual([0, 1, 2, 3]);
    const all = poisonBatch(x, y, trigger, 1, 1, 1);
    expect(Array.from(all.y.dataSync())).toEqual([1, 1, 1, 1]);
    expect(() => poisonBatch(x, y, trigger, 1, 1.5, 1)).toThrow(/rate must be in \[0, 1\], got 1\.5/);
    tf.dispose([x, y, none.x, none.y, all.x, all.y]);
  });
});
