import * as tf from '@tensorflow/tfjs-core';
import type { JsonMap } from '../graph.js';
import type { OpDef } from '../op-def.js';
import { baseConfig, readBool, requireChannelsLast } from './config.js';

export interface GlobalAvgPoolAttrs {
  readonly keepDims: boolean;
  /** Axes averaged between batch and channels: 2 for images (the default), 1 for token sequences. */
  readonly spatialDims?: 1 | 2;
}

/** The mean over every axis between the batch and the channels (Keras GlobalAveragePooling2D / 1D). */
export const globalAvgPoolOp: OpDef<GlobalAvgPoolAttrs> = {
  op: 'globalAvgPool',
  role: 'pool',
  kerasClasses: ['GlobalAveragePooling2D', 'GlobalAveragePooling1D'],
  arity: 1,
  forward([x], node) {
    const axes = node.attrs.spatialDims === 1 ? [1] : [1, 2];
    return tf.mean(x, axes, node.attrs.keepDims);
  },
  fromKeras(layer) {
    requireChannelsLast(layer);
    const keepDims = readBool(layer, 'keepdims', false);
    return { attrs: layer.className === 'GlobalAveragePooling1D' ? { keepDims, spatialDims: 1 } : { keepDims }, params: {} };
  },
  toKeras(node) {
    const config: JsonMap = { ...baseConfig(node.name, node.kerasConfig), data_format: 'channels_last' };
    if (node.attrs.keepDims) config['keepdims'] = true;
    const className = node.attrs.spatialDims === 1 ? 'GlobalAveragePooling1D' : 'GlobalAveragePooling2D';
    return { className, config, weights: [] };
  },
};
