import * as tf from '@tensorflow/tfjs-core';
import type { OpDef } from '../op-def.js';
import { baseConfig, requireChannelsLast } from './config.js';

export type FlattenAttrs = Record<string, never>;

export const flattenOp: OpDef<FlattenAttrs> = {
  op: 'flatten',
  role: 'shape',
  kerasClasses: ['Flatten'],
  arity: 1,
  forward([x]) {
    return tf.reshape(x, [x.shape[0], -1]);
  },
  fromKeras(layer) {
    requireChannelsLast(layer);
    return { attrs: {}, params: {} };
  },
  toKeras(node) {
    return { className: 'Flatten', config: baseConfig(node.name, node.kerasConfig), weights: [] };
  },
};
