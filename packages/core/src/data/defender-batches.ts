import * as tf from '@tensorflow/tfjs-core';
import { imageBatch, normalize } from './batches.js';
import type { ImageSet, Normalization } from './image-set.js';
import { defenderSubset } from './subsets.js';

export interface DefenderBatchOptions {
  /** Share of the training set the defender holds (default 0.05). */
  readonly share?: number;
  /** At most this many samples (default 1024, as the official LAC code caches). */
  readonly samples?: number;
  readonly batchSize?: number;
  readonly seed?: number;
}

/**
 * Normalised batches of the defender's data (a reproducible, stratified share of the
 * training set), in a fixed order: calibration for quantizers and the defenses' data.
 * The caller disposes them.
 */
export function defenderBatches(train: ImageSet, normalization: Normalization, o: DefenderBatchOptions = {}): tf.Tensor4D[] {
  const subset = defenderSubset(train, o.share ?? 0.05, o.seed ?? 0);
  const count = Math.min(subset.count, o.samples ?? 1024);
  const batchSize = o.batchSize ?? 128;
  const batches: tf.Tensor4D[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i);
    const { x, y } = imageBatch(subset, idx);
    batches.push(normalize(x, normalization));
    tf.dispose([x, y]);
  }
  return batches;
}
