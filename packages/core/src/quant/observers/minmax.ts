import * as tf from '@tensorflow/tfjs-core';
import { asColumns } from './channels.js';

export interface Range {
  readonly min: Float32Array;
  readonly max: Float32Array;
}

/** Min and max per channel (last axis) or over the whole tensor. */
export function minMaxRange(x: tf.Tensor, perChannel: boolean): Range {
  const [min, max] = tf.tidy(() => {
    const cols = asColumns(x, perChannel);
    return [tf.min(cols, 0), tf.max(cols, 0)];
  });
  const range = { min: min.dataSync() as Float32Array, max: max.dataSync() as Float32Array };
  tf.dispose([min, max]);
  return range;
}

/** The range of several tensors together: the least min and the greatest max per channel. */
export function combineRanges(ranges: readonly Range[]): Range {
  if (ranges.length === 1) return ranges[0];
  return {
    min: ranges[0].min.map((_, c) => Math.min(...ranges.map((r) => r.min[c]))),
    max: ranges[0].max.map((_, c) => Math.max(...ranges.map((r) => r.max[c]))),
  };
}
