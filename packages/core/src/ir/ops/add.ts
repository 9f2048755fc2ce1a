import * as tf from '@tensorflow/tfjs-core';
import type { OpDef } from '../op-def.js';
import { baseConfig } from './config.js';

export type AddAttrs = Record<string, never>;

/** Element-wise sum of its inputs: the residual merge that ends a calibration unit. */
export const addOp: OpDef<AddAttrs> = {
  op: 'add',
  role: 'merge',
  kerasClasses: ['Add'],
  arity: 'many',
  forward(inputs) {
    return inputs.length === 2 ? tf.add(inputs[0], inputs[1]) : tf.addN([...inputs]);
  },
  fromKeras() {
    return { attrs: {}, params: {} };
  },
  toKeras(node) {
    return { className: 'Add', config: baseConfig(node.name, node.kerasConfig), weights: [] };
  },
};
