import * as tf from '@tensorflow/tfjs-core';
import { mulberry32, type HostRows } from '@qcb/core';

/**
 * Moves each sample of a unit's cached input by +-radius along each channel as a whole (one
 * random sign per sample and channel, the same at every position): the error of an
 * activation quantizer that rounds a whole channel the other way. An attack that hides its
 * backdoor in the activation quantizers rides on exactly such channel-wide rounding, which
 * clean on-grid inputs never show (plugins/defense-lac/README.md).
 */
export function shiftChannels(x: tf.Tensor, radius: number, seed: number | (() => number)): tf.Tensor {
  const samples = x.shape[0];
  const channels = x.shape[x.rank - 1];
  // A generator carried over consecutive pieces of one cache draws what one call on their concatenation would.
  const rng = typeof seed === 'number' ? mulberry32(seed) : seed;
  const shifts = Float32Array.from({ length: samples * channels }, () => (rng() < 0.5 ? -radius : radius));
  return tf.tidy(() => tf.add(x, tf.tensor(shifts, [samples, ...Array<number>(x.rank - 2).fill(1), channels])));
}

/** Rows of a unit's cache as a batch, each channel shifted by +-radius from `rng` (radius 0: the rows as they are). */
export function shiftedRows(cache: HostRows, rows: ArrayLike<number>, radius: number, rng: () => number): tf.Tensor {
  return radius ? shiftChannels(cache.gather(rows), radius, rng) : cache.gather(rows);
}
