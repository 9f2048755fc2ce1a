import * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../../errors.js';
import type { OpDef } from '../op-def.js';
import { baseConfig } from './config.js';

export type PositionEmbeddingAttrs = Record<string, never>;

/** The Keras class name qcb writes for this op (a custom layer: see @qcb/models/tfjs-layers). */
export const ADD_POSITION_EMBEDDING_CLASS = 'AddPositionEmbedding';

/**
 * A learned position embedding added to a token sequence: y = x + E, with E of shape
 * [tokens, features] (the `embeddings` weight) broadcast over the batch. A table, not a
 * layer any quantizer rounds (like ViT's `pos_embed` in PyTorch).
 */
export const positionEmbeddingOp: OpDef<PositionEmbeddingAttrs> = {
  op: 'positionEmbedding',
  role: 'embedding',
  kerasClasses: [ADD_POSITION_EMBEDDING_CLASS],
  arity: 1,
  forward([x], node, ctx) {
    const table = ctx.param(node, 'embeddings');
    if (table.shape.join(',') !== x.shape.slice(1).join(',')) {
      throw new QcbError('E_MODEL_JSON', `layer "${node.name}" (${ADD_POSITION_EMBEDDING_CLASS}): its embeddings [${table.shape.join(', ')}] do not match the tokens [${x.shape.slice(1).join(', ')}]`);
    }
    return tf.add(x, table);
  },
  fromKeras(_layer, weight) {
    return { attrs: {}, params: { embeddings: weight('embeddings') } };
  },
  toKeras(node) {
    return { className: ADD_POSITION_EMBEDDING_CLASS, config: baseConfig(node.name, node.kerasConfig), weights: [['embeddings', 'embeddings']] };
  },
};
