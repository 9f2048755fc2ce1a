import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { QKV_ATTENTION_CLASS, qkvAttention } from '@qcb/core';
import { onlyShape, onlyTensor, type LayerArgs } from './shapes.js';

export interface QkvAttentionLayerArgs extends LayerArgs {
  readonly numHeads: number;
}

/**
 * The tfjs-layers form of qcb's `qkvAttention` op: multi-head self-attention on a fused
 * [tokens, 3 d] query/key/value projection, no weights of its own. Saved as class
 * `QkvAttention` with `num_heads` in its config.
 */
export class QkvAttentionLayer extends tfl.layers.Layer {
  static readonly className = QKV_ATTENTION_CLASS;
  readonly numHeads: number;

  constructor(args: QkvAttentionLayerArgs) {
    super(args);
    this.numHeads = args.numHeads;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [batch, tokens, fused] = onlyShape(inputShape);
    return [batch, tokens, fused === null ? null : fused / 3];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => qkvAttention(onlyTensor(inputs), this.numHeads));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numHeads: this.numHeads };
  }
}
