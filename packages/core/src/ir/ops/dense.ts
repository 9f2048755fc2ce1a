import * as tf from '@tensorflow/tfjs-core';
import { activation } from '../activations.js';
import type { OpDef } from '../op-def.js';
import { baseConfig, readActivationName, readBool, readPositiveInt } from './config.js';

export interface DenseAttrs {
  readonly units: number;
  readonly useBias: boolean;
  readonly activation: string;
}

export const denseOp: OpDef<DenseAttrs> = {
  op: 'dense',
  role: 'compute',
  kerasClasses: ['Dense'],
  arity: 1,
  forward([x], node, ctx) {
    const a = node.attrs;
    const kernel = ctx.param(node, 'kernel') as tf.Tensor2D;
    // Keras applies Dense to the last axis of inputs of any rank.
    const flat = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, x.shape[x.rank - 1]]) as tf.Tensor2D;
    let y: tf.Tensor = tf.matMul(flat, kernel);
    if (a.useBias) y = tf.add(y, ctx.param(node, 'bias'));
    if (x.rank !== 2) y = tf.reshape(y, [...x.shape.slice(0, -1), a.units]);
    return activation(a.activation)(y);
  },
  fromKeras(layer, weight) {
    const act = readActivationName(layer);
    activation(act);
    const attrs: DenseAttrs = {
      units: readPositiveInt(layer, 'units'),
      useBias: readBool(layer, 'use_bias', true),
      activation: act,
    };
    const params: Record<string, tf.Tensor> = { kernel: weight('kernel') };
    if (attrs.useBias) params['bias'] = weight('bias');
    return { attrs, params };
  },
  toKeras(node) {
    const a = node.attrs;
    return {
      className: 'Dense',
      config: { ...baseConfig(node.name, node.kerasConfig), units: a.units, activation: a.activation, use_bias: a.useBias },
      weights: a.useBias ? [['kernel', 'kernel'], ['bias', 'bias']] : [['kernel', 'kernel']],
    };
  },
};
