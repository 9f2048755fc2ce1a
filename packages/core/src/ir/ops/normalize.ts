import * as tf from '@tensorflow/tfjs-core';
import type { OpDef } from '../op-def.js';
import { baseConfig } from './config.js';

export type NormalizeAttrs = Record<string, never>;

/** Keras `Normalization` (adapted mean and variance per channel): y = (x - mean) / max(sqrt(var), 1e-7). */
export const normalizeOp: OpDef<NormalizeAttrs> = {
  op: 'normalize',
  role: 'shape',
  kerasClasses: ['Normalization'],
  arity: 1,
  forward([x], node, ctx) {
    const std = tf.maximum(tf.sqrt(ctx.param(node, 'variance')), 1e-7);
    return tf.div(tf.sub(x, ctx.param(node, 'mean')), std);
  },
  fromKeras(layer, weight) {
    const mean = weight('mean');
    const variance = weight('variance');
    return { attrs: {}, params: { mean: tf.reshape(mean, [-1]), variance: tf.reshape(variance, [-1]) }, frozen: ['mean', 'variance'] };
  },
  toKeras(node) {
    return {
      className: 'Normalization',
      config: { ...baseConfig(node.name, node.kerasConfig), axis: [-1] },
      weights: [['mean', 'mean'], ['variance', 'variance']],
    };
  },
};
