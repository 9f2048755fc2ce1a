import * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../../errors.js';
import type { OpDef } from '../op-def.js';
import { baseConfig } from './config.js';

export interface ReshapeAttrs {
  /** The shape without the batch axis; at most one -1, inferred from the size. */
  readonly targetShape: readonly number[];
}

/** Keras `Reshape`, e.g. a patch grid [h, w, d] to a token sequence [h * w, d]. */
export const reshapeOp: OpDef<ReshapeAttrs> = {
  op: 'reshape',
  role: 'shape',
  kerasClasses: ['Reshape'],
  arity: 1,
  forward([x], node) {
    return tf.reshape(x, [x.shape[0], ...node.attrs.targetShape]);
  },
  fromKeras(layer) {
    const v = layer.config['target_shape'];
    const dims = Array.isArray(v) ? v : [];
    const valid = dims.length > 0
      && dims.every((d): d is number => typeof d === 'number' && Number.isInteger(d) && (d > 0 || d === -1))
      && dims.filter((d) => d === -1).length <= 1;
    if (!valid) {
      throw new QcbError('E_MODEL_JSON', `layer "${layer.name}" (Reshape): config.target_shape must be a list of positive integers with at most one -1, got ${JSON.stringify(v)}`);
    }
    return { attrs: { targetShape: dims as number[] }, params: {} };
  },
  toKeras(node) {
    return { className: 'Reshape', config: { ...baseConfig(node.name, node.kerasConfig), target_shape: [...node.attrs.targetShape] }, weights: [] };
  },
};
