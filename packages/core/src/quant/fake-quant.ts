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
 * 1 where an integer level lies in [qmin, qmax], else 0, in float ops: its distance to the
 * clamped level is 0 inside and at least 1 outside. On wasm the comparison, logical-and and
 * select kernels this replaces took several times what these float kernels take (a quarter of
 * a LAC step on `stage1_block1_conv1`).
 */
function insideMask(level: tf.Tensor, p: QuantParams): tf.Tensor {
  return tf.sub(1, tf.clipByValue(tf.abs(tf.sub(level, tf.clipByValue(level, p.qmin, p.qmax))), 0, 1));
}

/**
 * Fake quantization: q = clamp(round(x / s) + zp, qmin, qmax), x_hat = (q - zp) * s.
 * Gradients pass through the rounding and stop outside the clamp range (dy times the mask,
 * plus 0 so that a stopped gradient is +0, as a select of zeros gives). Per-channel
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
          return tf.add(tf.mul(dy, insideMask(level, p)), 0);
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
