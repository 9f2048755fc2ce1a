import * as tf from '@tensorflow/tfjs-core';
import { imageBatch, normalize } from '../data/batches.js';
import type { ImageSet, Normalization } from '../data/image-set.js';
import { seededPermutation } from '../data/subsets.js';
import type { Batch } from '../kernel/hook-types.js';
import { augmentBatch, type AugmentSpec } from '../train/augment.js';

/** Builds a training batch from raw [0, 1] images (e.g. adds triggered copies); runs in a tidy. */
export type ComposeBatch = (x: tf.Tensor4D, y: tf.Tensor1D, step: { epoch: number; step: number }) => { x: tf.Tensor4D; y: tf.Tensor1D };

export interface AttackBatchOptions {
  readonly batchSize: number;
  readonly seed: number;
  readonly normalization: Normalization;
  readonly augment?: AugmentSpec;
  readonly compose?: ComposeBatch;
}

/**
 * One epoch of attack batches: seeded order and augmentation (stateless per epoch and
 * step, so a resumed run sees the same data), then `compose` on raw pixels, then
 * normalisation. The consumer disposes each batch.
 */
export function* attackBatches(set: ImageSet, epoch: number, o: AttackBatchOptions, fromStep = 0): Generator<Batch> {
  const order = seededPermutation(set.count, o.seed * 100_003 + epoch);
  const steps = Math.floor(set.count / o.batchSize);
  for (let step = fromStep; step < steps; step++) {
    const raw = imageBatch(set, order.subarray(step * o.batchSize, (step + 1) * o.batchSize));
    const out = tf.tidy(() => {
      const x = o.augment ? augmentBatch(raw.x, o.augment, (o.seed * 7919 + epoch) * 1_000_003 + step) : raw.x;
      const composed = o.compose ? o.compose(x, raw.y, { epoch, step }) : { x, y: raw.y };
      return { x: normalize(composed.x, o.normalization), y: tf.clone(composed.y) };
    });
    tf.dispose([raw.x, raw.y]);
    yield out;
  }
}
