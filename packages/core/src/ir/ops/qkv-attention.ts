import * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../../errors.js';
import type { OpDef } from '../op-def.js';
import { baseConfig, readPositiveInt } from './config.js';

export interface QkvAttentionAttrs {
  readonly heads: number;
}

/** The Keras class name qcb writes for this op (a custom layer: see @qcb/models/tfjs-layers). */
export const QKV_ATTENTION_CLASS = 'QkvAttention';

/**
 * Multi-head scaled dot-product self-attention on a fused projection: the last axis of `x`
 * ([batch, tokens, 3 d]) holds the queries, keys and values one after the other, each split
 * into `heads` heads of d / heads channels. Per head, softmax(q k^T / sqrt(d / heads)) v;
 * the heads are concatenated back to [batch, tokens, d]. It has no weights: the dense node
 * before it computes q, k and v, so quantizers and LAC see an ordinary dense layer.
 * Allocations belong to the caller's scope, as with any op.
 */
export function qkvAttention(x: tf.Tensor, heads: number): tf.Tensor {
  const [batch, tokens, fused] = x.shape;
  if (x.rank !== 3 || fused % (3 * heads) !== 0) {
    throw new QcbError('E_MODEL_JSON', `attention with ${heads} heads needs [batch, tokens, 3 x heads x k] inputs, got [${x.shape.join(', ')}]`);
  }
  const d = fused / 3;
  const k = d / heads;
  const perHead = (t: tf.Tensor): tf.Tensor => tf.transpose(tf.reshape(t, [batch, tokens, heads, k]), [0, 2, 1, 3]);
  const [q, key, v] = tf.split(x, 3, 2).map(perHead);
  const scores = tf.matMul(tf.mul(q, 1 / Math.sqrt(k)), key, false, true);
  const context = tf.matMul(tf.softmax(scores), v);
  return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch, tokens, d]);
}

export const qkvAttentionOp: OpDef<QkvAttentionAttrs> = {
  op: 'qkvAttention',
  role: 'attention',
  kerasClasses: [QKV_ATTENTION_CLASS],
  arity: 1,
  forward([x], node) {
    const heads = node.attrs.heads;
    const [, , fused] = x.shape;
    if (x.rank !== 3 || fused % (3 * heads) !== 0) {
      throw new QcbError('E_MODEL_JSON', `layer "${node.name}" (${QKV_ATTENTION_CLASS}, ${heads} heads) needs [batch, tokens, 3 x ${heads} x k] inputs, got [${x.shape.join(', ')}]`);
    }
    return qkvAttention(x, heads);
  },
  fromKeras(layer) {
    return { attrs: { heads: readPositiveInt(layer, 'num_heads') }, params: {} };
  },
  toKeras(node) {
    return { className: QKV_ATTENTION_CLASS, config: { ...baseConfig(node.name, node.kerasConfig), num_heads: node.attrs.heads }, weights: [] };
  },
};
