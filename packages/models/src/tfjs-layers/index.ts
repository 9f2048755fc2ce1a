import * as tf from '@tensorflow/tfjs-core';
import { AddPositionEmbeddingLayer } from './add-position-embedding-layer.js';
import { QkvAttentionLayer } from './qkv-attention-layer.js';

export { AddPositionEmbeddingLayer } from './add-position-embedding-layer.js';
export { QkvAttentionLayer, type QkvAttentionLayerArgs } from './qkv-attention-layer.js';

/**
 * The custom layer classes qcb writes for a `vit` (`QkvAttention`, `AddPositionEmbedding`),
 * registered with tf.serialization when this module is imported, so that
 * `tf.loadLayersModel` reads such a model.json. Every other layer qcb writes is a standard one.
 */
tf.serialization.registerClass(QkvAttentionLayer);
tf.serialization.registerClass(AddPositionEmbeddingLayer);
