import * as tf from '@tensorflow/tfjs-core';
import type { JsonMap } from '../graph.js';
import type { OpDef } from '../op-def.js';
import { baseConfig, readBool, requireChannelsLast } from './config.js';

export interface GlobalAvgPoolAttrs {
  readonly keepDims: boolean;
}

export const globalAvgPoolOp: OpDef<GlobalAvgPoolAttrs> = {
  op: 'globalAvgPool',
  role: 'pool',
  kerasClasses: ['GlobalAveragePooling2D'],
  arity: 1,
  forward([x], node) {
    return tf.mean(x, [1, 2], node.attrs.keepDims);
  },
  fromKeras(layer) {
    requireChannelsLast(layer);
    return { attrs: { keepDims: readBool(layer, 'keepdims', false) }, params: {} };
  },
  toKeras(node) {
    const config: JsonMap = { ...baseConfig(node.name, node.kerasConfig), data_format: 'channels_last' };
    if (node.attrs.keepDims) config['keepdims'] = true;
    return { className: 'GlobalAveragePooling2D', config, weights: [] };
  },
};
