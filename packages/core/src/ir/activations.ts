import * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../errors.js';

/** Element-wise activations by their Keras names. */
const ACTIVATIONS: Readonly<Record<string, (x: tf.Tensor) => tf.Tensor>> = {
  linear: (x) => x,
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(x),
  elu: (x) => tf.elu(x),
  selu: (x) => tf.selu(x),
  sigmoid: (x) => tf.sigmoid(x),
  hard_sigmoid: (x) => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1),
  tanh: (x) => tf.tanh(x),
  softplus: (x) => tf.softplus(x),
  softsign: (x) => tf.div(x, tf.add(tf.abs(x), 1)),
  swish: (x) => tf.mul(x, tf.sigmoid(x)),
  silu: (x) => tf.mul(x, tf.sigmoid(x)),
  softmax: (x) => tf.softmax(x),
  // Keras' default (exact) GELU: x * Phi(x) with the normal CDF from erf.
  gelu: (x) => tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))))),
};

export type ActivationName = string;

export function isKnownActivation(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(ACTIVATIONS, name);
}

export function activation(name: ActivationName): (x: tf.Tensor) => tf.Tensor {
  const f = ACTIVATIONS[name];
  if (!f) {
    throw new QcbError('E_LAYER_UNSUPPORTED', `unsupported activation "${name}" (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
  }
  return f;
}
