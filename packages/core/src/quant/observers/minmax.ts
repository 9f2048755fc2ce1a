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
