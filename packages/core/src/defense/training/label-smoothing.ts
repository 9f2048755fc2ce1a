import '../../tfjs-setup.js';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Mean cross-entropy of logits against integer labels smoothed as BackdoorBench's
 * `smooth_crossentropy` (FT-SAM): 1 - s on the true class, s / (classes - 1) on each other
 * one. (Their KL-divergence differs from this by the targets' entropy, a constant: the
 * gradients are the same.) s = 0 is the plain cross-entropy.
 */
export function smoothedCrossEntropy(logits: tf.Tensor, labels: tf.Tensor1D, smoothing: number): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[logits.rank - 1];
    const off = classes > 1 ? smoothing / (classes - 1) : 0;
    // From an int32 one-hot: the wasm backend's float32 oneHot writes integer bit patterns.
    const oneHot = tf.cast(tf.oneHot(tf.cast(labels, 'int32'), classes), 'float32');
    const target = tf.add(tf.mul(oneHot, 1 - smoothing - off), off);
    const logProbs = tf.logSoftmax(logits as tf.Tensor2D);
    return tf.neg(tf.mean(tf.sum(tf.mul(target, logProbs), -1))) as tf.Scalar;
  });
}
