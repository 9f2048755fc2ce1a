import * as tf from '@tensorflow/tfjs-core';

/** The distance D between a unit's output and its full-precision target (a loss term). */
export type Distance = (output: tf.Tensor, target: tf.Tensor) => tf.Scalar;

/** Squared difference summed over channels, averaged over batch and positions (the authors' choice). */
export const squaredEuclidean: Distance = (output, target) =>
  tf.mean(tf.sum(tf.square(tf.sub(output, target)), -1)) as tf.Scalar;
