import '../../tfjs-setup.js';
import * as tf from '@tensorflow/tfjs-core';

/** Batch statistics of one training-mode batch norm call. */
export type BatchStatsSink = (mean: tf.Tensor1D, variance: tf.Tensor1D) => void;

/**
 * x * scale + shift along the last axis (no shift: x * scale), as a 1x1 depthwise
 * convolution: one XNNPACK pass where tfjs-wasm's broadcasting Mul and Add each take a
 * slower one. The same floats as the Mul and the Add (a product, then a sum: no fused
 * multiply-add), so `x * 1 + (-m)` is `x - m` exactly.
 */
export function perChannel(x: tf.Tensor, scale: tf.Tensor, shift?: tf.Tensor): tf.Tensor {
  const c = x.shape[x.rank - 1];
  // NHWC as it is; any other rank as rows of channels (a reshape shares the data).
  const rows = x.rank === 4 ? (x as tf.Tensor4D) : tf.reshape(x, [1, 1, x.size / c, c]) as tf.Tensor4D;
  const filter = tf.reshape(scale, [1, 1, c, 1]) as tf.Tensor4D;
  const y = tf.fused.depthwiseConv2d({ x: rows, filter, strides: 1, pad: 'valid', ...(shift ? { bias: shift } : {}) });
  return x.rank === 4 ? y : tf.reshape(y, x.shape);
}

/**
 * Training-mode batch normalisation over every axis but the last, with a closed-form
 * gradient. tfjs-core's own batchNorm gradient tiles the per-channel terms to the
 * input's shape (a quarter of a ResNet training step on wasm); broadcasting avoids it, and
 * the per-channel terms run as depthwise convolutions (perChannel). The figures are those
 * of tf.moments and the plain formula: the same operations on the same floats.
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
    const mean = tf.mean(xIn, axes) as tf.Tensor1D;
    const centred = perChannel(xIn, tf.onesLike(mean), tf.neg(mean));
    const variance = tf.mean(tf.square(centred), axes) as tf.Tensor1D;
    onBatchStats?.(mean, variance);
    const rstd = tf.rsqrt(tf.add(variance, epsilon));
    const xHat = perChannel(centred, rstd);
    save([xHat, rstd, g]);
    return {
      value: perChannel(xHat, g, b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sxHat, srstd, sg] = saved;
        const dBeta = tf.sum(dy, axes);
        const dGamma = tf.sum(tf.mul(dy, sxHat), axes);
        // dx = gamma * rstd * (dy - mean(dy) - xHat * mean(dy * xHat))
        const centredDy = tf.sub(perChannel(dy, tf.onesLike(dBeta), tf.neg(tf.div(dBeta, count))), perChannel(sxHat, tf.div(dGamma, count)));
        const dx = perChannel(centredDy, tf.mul(sg, srstd));
        return [dx, dGamma, dBeta];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return fn(x, gamma, beta);
}
