import * as tf from '@tensorflow/tfjs-core';
import { activation } from '../activations.js';
import type { OpDef } from '../op-def.js';
import { baseConfig, readActivationName, readBool, readPadding, readPair, readPositiveInt, requireChannelsLast } from './config.js';

export interface DepthwiseConv2DAttrs {
  readonly kernelSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: 'same' | 'valid';
  readonly dilation: readonly [number, number];
  readonly depthMultiplier: number;
  readonly useBias: boolean;
  readonly activation: string;
}

export const depthwiseConv2dOp: OpDef<DepthwiseConv2DAttrs> = {
  op: 'depthwiseConv2d',
  role: 'compute',
  kerasClasses: ['DepthwiseConv2D'],
  arity: 1,
  forward([x], node, ctx) {
    const a = node.attrs;
    let y: tf.Tensor = tf.depthwiseConv2d(
      x as tf.Tensor4D,
      ctx.param(node, 'depthwiseKernel') as tf.Tensor4D,
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
    activation(act);
    const attrs: DepthwiseConv2DAttrs = {
      kernelSize: readPair(layer, 'kernel_size'),
      strides: readPair(layer, 'strides', [1, 1]),
      padding: readPadding(layer),
      dilation: readPair(layer, 'dilation_rate', [1, 1]),
      depthMultiplier: readPositiveInt(layer, 'depth_multiplier', 1),
      useBias: readBool(layer, 'use_bias', true),
      activation: act,
    };
    const params: Record<string, tf.Tensor> = { depthwiseKernel: weight('depthwise_kernel') };
    if (attrs.useBias) params['bias'] = weight('bias');
    return { attrs, params };
  },
  toKeras(node) {
    const a = node.attrs;
    return {
      className: 'DepthwiseConv2D',
      config: {
        ...baseConfig(node.name, node.kerasConfig),
        kernel_size: [...a.kernelSize],
        strides: [...a.strides],
        padding: a.padding,
        data_format: 'channels_last',
        dilation_rate: [...a.dilation],
        depth_multiplier: a.depthMultiplier,
        activation: a.activation,
        use_bias: a.useBias,
      },
      weights: a.useBias
        ? [['depthwise_kernel', 'depthwiseKernel'], ['bias', 'bias']]
        : [['depthwise_kernel', 'depthwiseKernel']],
    };
  },
};
