import * as tf from '@tensorflow/tfjs-core';
import type { BatchNormAttrs, GraphNode } from '@qcb/core';

const EPS = 1e-6;

/**
 * Distance of a BN input batch's per-sample statistics from the BN's running statistics
 * (paper eq. for PDA): per sample and channel the spatial mean and sqrt(var + 1e-6);
 * ||mean - running_mean||^2 / N + ||std - sqrt(running_var + 1e-6)||^2 / N.
 */
export function bnStatisticsLoss(bn: GraphNode<BatchNormAttrs>, input: tf.Tensor): tf.Scalar {
  const spatial = Array.from({ length: input.rank - 2 }, (_, i) => i + 1);
  const n = input.shape[0];
  const { mean, variance } = spatial.length > 0 ? tf.moments(input, spatial) : { mean: input, variance: tf.zerosLike(input) };
  const std = tf.sqrt(tf.add(variance, EPS));
  const runningStd = tf.sqrt(tf.add(bn.params['movingVariance'], EPS));
  const meanTerm = tf.div(tf.sum(tf.square(tf.sub(mean, bn.params['movingMean']))), n);
  const stdTerm = tf.div(tf.sum(tf.square(tf.sub(std, runningStd))), n);
  return tf.add(meanTerm, stdTerm) as tf.Scalar;
}
