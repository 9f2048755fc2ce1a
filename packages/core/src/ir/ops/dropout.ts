import * as tf from '@tensorflow/tfjs-core';
import type { OpDef } from '../op-def.js';
import { baseConfig, readNumber } from './config.js';

export interface DropoutAttrs {
  readonly rate: number;
}

export const dropoutOp: OpDef<DropoutAttrs> = {
  op: 'dropout',
  role: 'shape',
  kerasClasses: ['Dropout'],
  arity: 1,
  forward([x], node, ctx) {
    return ctx.training && node.attrs.rate > 0 ? tf.dropout(x, node.attrs.rate, undefined, ctx.dropoutSeed?.(node)) : x;
  },
  fromKeras(layer) {
    return { attrs: { rate: readNumber(layer, 'rate', 0) }, params: {} };
  },
  toKeras(node) {
    return { className: 'Dropout', config: { ...baseConfig(node.name, node.kerasConfig), rate: node.attrs.rate }, weights: [] };
  },
};
