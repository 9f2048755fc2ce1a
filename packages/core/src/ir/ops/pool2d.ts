import * as tf from '@tensorflow/tfjs-core';
import type { OpDef } from '../op-def.js';
import { baseConfig, readPadding, readPair, requireChannelsLast } from './config.js';

export interface Pool2DAttrs {
  readonly poolSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: 'same' | 'valid';
}

function pool2dOp(op: 'maxPool' | 'avgPool', className: 'MaxPooling2D' | 'AveragePooling2D'): OpDef<Pool2DAttrs> {
  return {
    op,
    role: 'pool',
    kerasClasses: [className],
    arity: 1,
    forward([x], node) {
      const a = node.attrs;
      const f = op === 'maxPool' ? tf.maxPool : tf.avgPool;
      return f(x as tf.Tensor4D, [a.poolSize[0], a.poolSize[1]], [a.strides[0], a.strides[1]], a.padding);
    },
    fromKeras(layer) {
      requireChannelsLast(layer);
      const poolSize = readPair(layer, 'pool_size', [2, 2]);
      return { attrs: { poolSize, strides: readPair(layer, 'strides', poolSize), padding: readPadding(layer) }, params: {} };
    },
    toKeras(node) {
      const a = node.attrs;
      return {
        className,
        config: {
          ...baseConfig(node.name, node.kerasConfig),
          pool_size: [...a.poolSize],
          strides: [...a.strides],
          padding: a.padding,
          data_format: 'channels_last',
        },
        weights: [],
      };
    },
  };
}

export const maxPoolOp = pool2dOp('maxPool', 'MaxPooling2D');
export const avgPoolOp = pool2dOp('avgPool', 'AveragePooling2D');
