import '../../tfjs-setup.js';
import * as tf from '@tensorflow/tfjs-core';

/** Batch statistics of one training-mode batch norm call. */
export type BatchStatsSink = (mean: tf.Tensor1D, variance: tf.Tensor1D) => void;

/**
 * Training-mode batch normalisation over every axis but the last, with a closed-form
 * gradient. tfjs-core's own batchNorm gradient tiles the per-channel terms to the
 * input's shape (a quarter of a ResNet training step on wasm); broadcasting avoids it.
 */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  onBatchStats?: BatchStatsSink,
): tf.Tensor {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const count = x.size / x.shape[x.rank - 1];
  const fn = tf.customGrad(((xIn: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const { mean, variance } = tf.moments(xIn, axes);
    onBatchStats?.(mean as tf.Tensor1D, variance as tf.Tensor1D);
    const rstd = tf.rsqrt(tf.add(variance, epsilon));
    const xHat = tf.mul(tf.sub(xIn, mean), rstd);
    save([xHat, rstd, g]);
    return {
      value: tf.add(tf.mul(xHat, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sxHat, srstd, sg] = saved;
        const dBeta = tf.sum(dy, axes);
        const dGamma = tf.sum(tf.mul(dy, sxHat), axes);
        // dx = gamma * rstd * (dy - mean(dy) - xHat * mean(dy * xHat))
        const centred = tf.sub(tf.sub(dy, tf.div(dBeta, count)), tf.mul(sxHat, tf.div(dGamma, count)));
        const dx = tf.mul(centred, tf.mul(sg, srstd));
        return [dx, dGamma, dBeta];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return fn(x, gamma, beta);
}
