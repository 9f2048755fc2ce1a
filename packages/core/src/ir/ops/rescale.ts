import * as tf from '@tensorflow/tfjs-core';
import type { OpDef } from '../op-def.js';
import { baseConfig, readNumber } from './config.js';

export interface RescaleAttrs {
  readonly scale: number;
  readonly offset: number;
}

/** Keras `Rescaling`: y = x * scale + offset. */
export const rescaleOp: OpDef<RescaleAttrs> = {
  op: 'rescale',
  role: 'shape',
  kerasClasses: ['Rescaling'],
  arity: 1,
  forward([x], node) {
    const { scale, offset } = node.attrs;
    const scaled = scale === 1 ? x : tf.mul(x, scale);
    return offset === 0 ? scaled : tf.add(scaled, offset);
  },
  fromKeras(layer) {
    return { attrs: { scale: readNumber(layer, 'scale', 1), offset: readNumber(layer, 'offset', 0) }, params: {} };
  },
  toKeras(node) {
    return {
      className: 'Rescaling',
      config: { ...baseConfig(node.name, node.kerasConfig), scale: node.attrs.scale, offset: node.attrs.offset },
      weights: [],
    };
  },
};
