import * as tf from '@tensorflow/tfjs-core';

/** x as a 2-D [rows, channels] view: per-channel over the last axis, or one column for per-tensor. */
export function asColumns(x: tf.Tensor, perChannel: boolean): tf.Tensor2D {
  return perChannel ? tf.reshape(x, [-1, x.shape[x.rank - 1]]) : tf.reshape(x, [-1, 1]);
}
