import * as tf from '@tensorflow/tfjs-core';
import { activation } from '../activations.js';
import type { OpDef } from '../op-def.js';
import { baseConfig, readActivationName, readNumber } from './config.js';

/**
 * Element-wise activation layers: `Activation`, `ReLU` (with max value, slope and
 * threshold), `ReLU6`, `LeakyReLU`, `Softmax`.
 */
export type ActivationAttrs =
  | { readonly kind: 'named'; readonly fn: string }
  | { readonly kind: 'relu'; readonly maxValue: number | null; readonly negativeSlope: number; readonly threshold: number }
  | { readonly kind: 'leakyRelu'; readonly alpha: number };

function relu(x: tf.Tensor, a: Extract<ActivationAttrs, { kind: 'relu' }>): tf.Tensor {
  if (a.negativeSlope === 0 && a.threshold === 0) {
    if (a.maxValue === 6) return tf.relu6(x);
    const r = tf.relu(x);
    return a.maxValue === null ? r : tf.minimum(r, a.maxValue);
  }
  const shifted = tf.sub(x, a.threshold);
  let y = tf.where(tf.greaterEqual(x, a.threshold), x, tf.mul(shifted, a.negativeSlope));
  if (a.maxValue !== null) y = tf.minimum(y, a.maxValue);
  return y;
}

export const activationOp: OpDef<ActivationAttrs> = {
  op: 'activation',
  role: 'activation',
  kerasClasses: ['Activation', 'ReLU', 'ReLU6', 'LeakyReLU', 'Softmax'],
  arity: 1,
  forward([x], node) {
    const a = node.attrs;
    switch (a.kind) {
      case 'named':
        return activation(a.fn)(x);
      case 'relu':
        return relu(x, a);
      case 'leakyRelu':
        return tf.leakyRelu(x, a.alpha);
    }
  },
  fromKeras(layer) {
    switch (layer.className) {
      case 'Activation': {
        const fn = readActivationName(layer);
        activation(fn);
        return { attrs: { kind: 'named', fn }, params: {} };
      }
      case 'ReLU6':
        return { attrs: { kind: 'named', fn: 'relu6' }, params: {} };
      case 'Softmax':
        return { attrs: { kind: 'named', fn: 'softmax' }, params: {} };
      case 'LeakyReLU':
        return { attrs: { kind: 'leakyRelu', alpha: readNumber(layer, 'alpha', readNumber(layer, 'negative_slope', 0.3)) }, params: {} };
      default: {
        const max = layer.config['max_value'];
        return {
          attrs: {
            kind: 'relu',
            maxValue: typeof max === 'number' ? max : null,
            negativeSlope: readNumber(layer, 'negative_slope', 0),
            threshold: readNumber(layer, 'threshold', 0),
          },
          params: {},
        };
      }
    }
  },
  toKeras(node) {
    const a = node.attrs;
    const base = baseConfig(node.name, node.kerasConfig);
    switch (a.kind) {
      case 'named':
        return { className: 'Activation', config: { ...base, activation: a.fn }, weights: [] };
      case 'leakyRelu':
        return { className: 'LeakyReLU', config: { ...base, alpha: a.alpha }, weights: [] };
      case 'relu':
        return {
          className: 'ReLU',
          config: { ...base, max_value: a.maxValue, negative_slope: a.negativeSlope, threshold: a.threshold },
          weights: [],
        };
    }
  },
};
