import * as tf from '@tensorflow/tfjs-core';
import { imageBatch, normalize } from '../data/batches.js';
import type { ImageSet, Normalization } from '../data/image-set.js';
import { seededPermutation } from '../data/subsets.js';
import type { Batch } from '../kernel/hook-types.js';
import { augmentBatch, type AugmentSpec } from './augment.js';

export interface EpochBatchOptions {
  readonly batchSize: number;
  readonly seed: number;
  readonly normalization: Normalization;
  readonly augment?: AugmentSpec;
  /** Keep the last, smaller batch (default false: every batch has batchSize images). */
  readonly keepPartial?: boolean;
}

export function stepsPerEpoch(count: number, o: Pick<EpochBatchOptions, 'batchSize' | 'keepPartial'>): number {
  return o.keepPartial ? Math.ceil(count / o.batchSize) : Math.floor(count / o.batchSize);
}

/**
 * The batches of one epoch: a permutation seeded by (seed, epoch), augmentation seeded by
 * (seed, epoch, step), normalised. Stateless, so a resumed run sees the same batches.
 * The caller disposes each batch.
 */
export function* epochBatches(set: ImageSet, epoch: number, o: EpochBatchOptions, fromStep = 0): Generator<Batch> {
  const order = seededPermutation(set.count, o.seed * 100_003 + epoch);
  const steps = stepsPerEpoch(set.count, o);
  for (let step = fromStep; step < steps; step++) {
    const idx = order.subarray(step * o.batchSize, Math.min(set.count, (step + 1) * o.batchSize));
    const raw = imageBatch(set, idx);
    const x = tf.tidy(() => {
      const augmented = o.augment ? augmentBatch(raw.x, o.augment, (o.seed * 7919 + epoch) * 1_000_003 + step) : raw.x;
      return normalize(augmented, o.normalization);
    });
    raw.x.dispose();
    yield { x, y: raw.y };
  }
}
