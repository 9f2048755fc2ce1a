import type * as tf from '@tensorflow/tfjs-core';
import type { Grid } from '../grid.js';
import type { Observer } from '../profile.js';
import { combineRanges, minMaxRange, type Range } from './minmax.js';
import { mseRange, mseRangeOfParts } from './mse.js';

export { EmaRange } from './ema.js';
export { combineRanges, minMaxRange, type Range } from './minmax.js';
export { mseRange, mseRangeOfParts, MSE_CANDIDATES } from './mse.js';

/** Activation tensors are scored on at most this many values by the MSE search. */
export const ACTIVATION_MSE_SAMPLES = 65_536;

export function observeRange(observer: Observer, x: tf.Tensor, perChannel: boolean, grid: Grid, symmetric: boolean, maxRows = Infinity): Range {
  return observer === 'mse' ? mseRange(x, perChannel, grid, symmetric, maxRows) : minMaxRange(x, perChannel);
}

/** observeRange of the concatenation of `parts` along the first axis (a batch seen in micro-batches). */
export function observeRangeOfParts(observer: Observer, parts: readonly tf.Tensor[], perChannel: boolean, grid: Grid, symmetric: boolean, maxRows = Infinity): Range {
  if (parts.length === 1) return observeRange(observer, parts[0], perChannel, grid, symmetric, maxRows);
  return observer === 'mse'
    ? mseRangeOfParts(parts, perChannel, grid, symmetric, maxRows)
    : combineRanges(parts.map((part) => minMaxRange(part, perChannel)));
}
