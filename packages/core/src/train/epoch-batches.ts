import * as tf from '@tensorflow/tfjs-core';
import { imageBatch, normalize } from '../data/batches.js';
import type { ImageSet, Normalization } from '../data/image-set.js';
import { seededPermutation } from '../data/subsets.js';
import type { Batch } from '../kernel/hook-types.js';
import { augmentBatch, type AugmentSpec } from './augment.js';

/** Builds a training batch from raw [0, 1] images (e.g. an attack adds triggered copies); runs in a tidy. */
export type ComposeBatch = (x: tf.Tensor4D, y: tf.Tensor1D, step: { epoch: number; step: number }) => { x: tf.Tensor4D; y: tf.Tensor1D };

export interface EpochBatchOptions {
  readonly batchSize: number;
  readonly seed: number;
  readonly normalization: Normalization;
  readonly augment?: AugmentSpec;
  /** Applied to the augmented raw pixels, before normalisation. */
  readonly compose?: ComposeBatch;
  /** Keep the last, smaller batch (default false: every batch has batchSize images). */
  readonly keepPartial?: boolean;
}

export function stepsPerEpoch(count: number, o: Pick<EpochBatchOptions, 'batchSize' | 'keepPartial'>): number {
  return o.keepPartial ? Math.ceil(count / o.batchSize) : Math.floor(count / o.batchSize);
}

/**
 * The batches of one epoch: a permutation seeded by (seed, epoch), augmentation and the
 * batch's own seed (Batch.seed) by (seed, epoch, step), then `compose` on the raw pixels,
 * then normalisation. Stateless, so a resumed run sees the same batches. The caller
 * disposes each batch.
 */
export function* epochBatches(set: ImageSet, epoch: number, o: EpochBatchOptions, fromStep = 0): Generator<Batch> {
  const order = seededPermutation(set.count, o.seed * 100_003 + epoch);
  const steps = stepsPerEpoch(set.count, o);
  for (let step = fromStep; step < steps; step++) {
    const idx = order.subarray(step * o.batchSize, Math.min(set.count, (step + 1) * o.batchSize));
    const raw = imageBatch(set, idx);
    const seed = (o.seed * 7919 + epoch) * 1_000_003 + step;
    const batch = tf.tidy(() => {
      const x = o.augment ? augmentBatch(raw.x, o.augment, seed) : raw.x;
      const composed = o.compose ? o.compose(x, raw.y, { epoch, step }) : { x, y: raw.y };
      return { x: normalize(composed.x, o.normalization), y: tf.clone(composed.y), seed };
    });
    tf.dispose([raw.x, raw.y]);
    yield batch;
  }
}
