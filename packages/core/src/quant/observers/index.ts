import type * as tf from '@tensorflow/tfjs-core';
import type { Grid } from '../grid.js';
import type { Observer } from '../profile.js';
import { minMaxRange, type Range } from './minmax.js';
import { mseRange } from './mse.js';

export { EmaRange } from './ema.js';
export { minMaxRange, type Range } from './minmax.js';
export { mseRange, MSE_CANDIDATES } from './mse.js';

/** Activation tensors are scored on at most this many values by the MSE search. */
export const ACTIVATION_MSE_SAMPLES = 65_536;

export function observeRange(observer: Observer, x: tf.Tensor, perChannel: boolean, grid: Grid, symmetric: boolean, maxRows = Infinity): Range {
  return observer === 'mse' ? mseRange(x, perChannel, grid, symmetric, maxRows) : minMaxRange(x, perChannel);
}
