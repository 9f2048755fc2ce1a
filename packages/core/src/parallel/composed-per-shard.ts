import * as tf from '@tensorflow/tfjs-core';
import type { ComposeBatch } from '../train/epoch-batches.js';
import { shardsOf } from './shards.js';

/**
 * `compose` applied to each participant's contiguous shard of the raw batch on its own, the
 * results concatenated in shard order: an attack's batch laid out as [clean; triggered] is
 * then, shard by shard, [clean_s; triggered_s], and each participant of a data-parallel step
 * (split at multiples of `group` rows: ClassifierLoss.group) gets a whole composed block with
 * the layout its loss expects. `compose` must return `group` rows per raw row.
 */
export function composedPerShard(compose: ComposeBatch, parts: number, group: number): ComposeBatch {
  return (x, y, at) => {
    const pieces = shardsOf(x.shape[0], parts).filter((s) => s.size > 0).map(({ start, size }) => {
      const part = tf.tidy(() => compose(tf.slice(x, start, size), tf.slice(y, start, size), at));
      if (part.x.shape[0] !== group * size || part.y.shape[0] !== group * size) {
        tf.dispose([part.x, part.y]);
        throw new Error(`a composed shard of ${size} images has ${part.x.shape[0]} rows, not ${group * size}`);
      }
      return part;
    });
    try {
      return { x: tf.concat(pieces.map((p) => p.x)) as tf.Tensor4D, y: tf.concat(pieces.map((p) => p.y)) as tf.Tensor1D };
    } finally {
      tf.dispose(pieces.flatMap((p) => [p.x, p.y]));
    }
  };
}
