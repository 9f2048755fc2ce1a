import '../tfjs-setup.js';
import * as tf from '@tensorflow/tfjs-core';
import type { QuantParams } from '../kernel/hook-types.js';

/** round() whose gradient is the identity (straight-through estimator). */
export const roundSte: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  void save;
  return { value: tf.round(x), gradFunc: (dy: tf.Tensor) => [dy] };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

/** Scale and zero point as tensors broadcasting along the params' axis (the last one). */
function paramTensors(p: QuantParams): { scale: tf.Tensor; zeroPoint: tf.Tensor } {
  if (p.axis === null) return { scale: tf.scalar(p.scale[0]), zeroPoint: tf.scalar(p.zeroPoint[0]) };
  return { scale: tf.tensor1d(p.scale), zeroPoint: tf.tensor1d(p.zeroPoint) };
}

/**
 * Fake quantization: q = clamp(round(x / s) + zp, qmin, qmax), x_hat = (q - zp) * s.
 * Gradients pass through the rounding and stop outside the clamp range. Per-channel
 * params apply along the last axis (HWIO kernels: the output channel). One custom op, so
 * that a gradient tape keeps only x, not the five intermediates of the formula: training
 * through quantized activations would otherwise hold several copies of every activation.
 */
export function fakeQuant(x: tf.Tensor, p: QuantParams): tf.Tensor {
  const op = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    save([input]);
    return {
      value: tf.tidy(() => {
        const { scale, zeroPoint } = paramTensors(p);
        const q = tf.clipByValue(tf.add(tf.round(tf.div(input, scale)), zeroPoint), p.qmin, p.qmax);
        return tf.mul(tf.sub(q, zeroPoint), scale);
      }),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const { scale, zeroPoint } = paramTensors(p);
          const level = tf.add(tf.round(tf.div(saved[0], scale)), zeroPoint);
          const inside = tf.logicalAnd(tf.greaterEqual(level, p.qmin), tf.lessEqual(level, p.qmax));
          return tf.where(inside, dy, tf.zerosLike(dy));
        }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
  return op(x);
}

/** Integer levels of x on the grid (no gradient), e.g. for checks and export. */
export function quantizeToLevels(x: tf.Tensor, p: QuantParams): tf.Tensor {
  return tf.tidy(() => {
    const { scale, zeroPoint } = paramTensors(p);
    return tf.clipByValue(tf.add(tf.round(tf.div(x, scale)), zeroPoint), p.qmin, p.qmax);
  });
}
