import '../tfjs-setup.js';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `f` so that an active gradient tape does not record its ops. While a tape records,
 * tfjs keeps a copy of every op's saved inputs until the gradients are computed, even
 * inside tf.tidy: an observer's 80-candidate range search run inside a training step
 * would hold hundreds of MB. tfjs runs a custom gradient's forward function off the tape,
 * so `f` runs there. Use it for computations that feed no gradient (ranges, statistics).
 */
export function outsideTape<T>(f: () => T): T {
  let result: T | undefined;
  const run = tf.customGrad(((x: tf.Tensor) => {
    result = f();
    return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => dy };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
  const seed = tf.scalar(0);
  const out = run(seed);
  tf.dispose([seed, out]);
  return result as T;
}
