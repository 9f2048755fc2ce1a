import * as tf from '@tensorflow/tfjs-core';
import type { ImageSet } from '../data/image-set.js';
import { QcbError } from '../errors.js';
import { mulberry32, sampleIndices } from './random.js';
import type { Trigger } from './trigger.js';

export interface PoisonedViewOptions {
  /** Images per tfjs call; default 512. */
  readonly batch?: number;
}

/**
 * The test-time ASR set: every image whose true label is not `target`, with the trigger
 * applied. Labels stay the TRUE labels; ASR compares predictions with `target` itself.
 */
export function poisonedView(set: ImageSet, trigger: Trigger, target: number, options: PoisonedViewOptions = {}): ImageSet {
  const batch = options.batch ?? 512;
  if (!Number.isInteger(batch) || batch < 1) throw new QcbError('E_USAGE', `batch must be a positive integer, got ${batch}`);
  if (!Number.isInteger(target)) throw new QcbError('E_USAGE', `target must be an integer class, got ${target}`);
  const [h, w, c] = set.shape;
  const size = h * w * c;
  if (set.images.length !== set.count * size || set.labels.length !== set.count) {
    throw new QcbError('E_DATA', `image set holds ${set.images.length} values and ${set.labels.length} labels; expected ${set.count} images of ${h}x${w}x${c}`);
  }

  const kept: number[] = [];
  for (let i = 0; i < set.count; i++) if (set.labels[i] !== target) kept.push(i);
  const images = new Float32Array(kept.length * size);
  const labels = Int32Array.from(kept, (i) => set.labels[i]);
  kept.forEach((src, dst) => images.set(set.images.subarray(src * size, (src + 1) * size), dst * size));

  for (let start = 0; start < kept.length; start += batch) {
    const n = Math.min(batch, kept.length - start);
    // slice copies, so the input tensor never aliases the array being overwritten.
    const chunk = images.slice(start * size, (start + n) * size);
    const out = tf.tidy(() => trigger.apply(tf.tensor4d(chunk, [n, h, w, c])));
    try {
      images.set(out.dataSync(), start * size);
    } finally {
      out.dispose();
    }
  }
  return { images, labels, count: kept.length, shape: [h, w, c] };
}

export interface PoisonedBatch {
  readonly x: tf.Tensor4D;
  readonly y: tf.Tensor1D;
}

/**
 * Training-time poisoning: round(rate * n) images of the batch, chosen by `seed`, are
 * replaced by triggered copies labelled `target`; order is kept. Any image may be chosen,
 * target-class ones included. Returns new tensors the caller disposes; x and y stay owned
 * by the caller.
 */
export function poisonBatch(
  x: tf.Tensor4D, y: tf.Tensor1D, trigger: Trigger, target: number, rate: number, seed: number,
): PoisonedBatch {
  const n = x.shape[0];
  if (y.shape[0] !== n) throw new QcbError('E_USAGE', `poisonBatch got ${n} images but ${y.shape[0]} labels`);
  if (!(rate >= 0 && rate <= 1)) throw new QcbError('E_USAGE', `poisoning rate must be in [0, 1], got ${rate}`);
  if (!Number.isInteger(target)) throw new QcbError('E_USAGE', `target must be an integer class, got ${target}`);
  const count = Math.round(rate * n);
  if (count === 0) return tf.tidy(() => ({ x: tf.clone(x), y: tf.clone(y) }));

  const chosen = new Uint8Array(n);
  for (const i of sampleIndices(n, count, mulberry32(seed))) chosen[i] = 1;
  return tf.tidy(() => {
    const mask = tf.tensor1d(chosen, 'bool');
    // tf.where broadcasts numpy-style, so the mask needs the images' rank.
    return {
      x: tf.where(tf.reshape(mask, [n, 1, 1, 1]), trigger.apply(x), x),
      y: tf.where(mask, tf.fill([n], target, y.dtype), y) as tf.Tensor1D,
    };
  });
}
