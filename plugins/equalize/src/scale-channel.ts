import * as tf from '@tensorflow/tfjs-core';

/** Multiplies the slice `channel` of `variable` along `axis` by `by`, in place. */
export function scaleChannel(variable: tf.Variable, axis: number, channel: number, by: number): void {
  const factors = new Float32Array(variable.shape[axis]).fill(1);
  factors[channel] = by;
  const shape = variable.shape.map((d, i) => (i === axis ? d : 1));
  const scaled = tf.tidy(() => tf.mul(variable, tf.tensor(factors, shape)));
  variable.assign(scaled);
  scaled.dispose();
}
