import * as tf from '@tensorflow/tfjs-core';
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
    return tf.add(x, ctx.param(node, 'embeddings'));
  },
  fromKeras(_layer, weight) {
    return { attrs: {}, params: { embeddings: weight('embeddings') } };
  },
  toKeras(node) {
    return { className: ADD_POSITION_EMBEDDING_CLASS, config: baseConfig(node.name, node.kerasConfig), weights: [['embeddings', 'embeddings']] };
  },
};
