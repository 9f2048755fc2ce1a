import * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../../errors.js';
import { activation } from '../activations.js';
import type { OpDef } from '../op-def.js';
import { baseConfig, readActivationName, readBool, readPadding, readPair, readPositiveInt, requireChannelsLast } from './config.js';

export interface Conv2DAttrs {
  readonly filters: number;
  readonly kernelSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: 'same' | 'valid';
  readonly dilation: readonly [number, number];
  readonly useBias: boolean;
  /** Keras lets a conv carry its own activation. */
  readonly activation: string;
}

export const conv2dOp: OpDef<Conv2DAttrs> = {
  op: 'conv2d',
  role: 'compute',
  kerasClasses: ['Conv2D'],
  arity: 1,
  forward([x], node, ctx) {
    const a = node.attrs;
    let y: tf.Tensor = tf.conv2d(
      x as tf.Tensor4D,
      ctx.param(node, 'kernel') as tf.Tensor4D,
      [a.strides[0], a.strides[1]],
      a.padding,
      'NHWC',
      [a.dilation[0], a.dilation[1]],
    );
    if (a.useBias) y = tf.add(y, ctx.param(node, 'bias'));
    return activation(a.activation)(y);
  },
  fromKeras(layer, weight) {
    requireChannelsLast(layer);
    const act = readActivationName(layer);
    activation(act); // rejects an unknown activation at import time
    const attrs: Conv2DAttrs = {
      filters: readPositiveInt(layer, 'filters'),
      kernelSize: readPair(layer, 'kernel_size'),
      strides: readPair(layer, 'strides', [1, 1]),
      padding: readPadding(layer),
      dilation: readPair(layer, 'dilation_rate', [1, 1]),
      useBias: readBool(layer, 'use_bias', true),
      activation: act,
    };
    const groups = layer.config['groups'];
    if (groups !== undefined && groups !== null && groups !== 1) {
      throw new QcbError('E_LAYER_UNSUPPORTED', `layer "${layer.name}": grouped convolutions (groups=${String(groups)}) are not supported`);
    }
    const params: Record<string, tf.Tensor> = { kernel: weight('kernel') };
    if (attrs.useBias) params['bias'] = weight('bias');
    return { attrs, params };
  },
  toKeras(node) {
    const a = node.attrs;
    return {
      className: 'Conv2D',
      config: {
        ...baseConfig(node.name, node.kerasConfig),
        filters: a.filters,
        kernel_size: [...a.kernelSize],
        strides: [...a.strides],
        padding: a.padding,
        data_format: 'channels_last',
        dilation_rate: [...a.dilation],
        activation: a.activation,
        use_bias: a.useBias,
      },
      weights: a.useBias ? [['kernel', 'kernel'], ['bias', 'bias']] : [['kernel', 'kernel']],
    };
  },
};
