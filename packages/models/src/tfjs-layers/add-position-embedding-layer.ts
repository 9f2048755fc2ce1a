import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ADD_POSITION_EMBEDDING_CLASS } from '@qcb/core';
import { onlyShape, onlyTensor, type LayerArgs } from './shapes.js';

/**
 * The tfjs-layers form of qcb's `positionEmbedding` op: adds a learned [tokens, features]
 * table (weight `embeddings`, initialised N(0, 0.02)) to a token sequence. Saved as class
 * `AddPositionEmbedding`; the table's shape comes from the input's.
 */
export class AddPositionEmbeddingLayer extends tfl.layers.Layer {
  static readonly className = ADD_POSITION_EMBEDDING_CLASS;
  private embeddings: tfl.LayerVariable | null = null;

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const [, tokens, features] = onlyShape(inputShape);
    if (tokens === null || features === null) throw new Error(`${ADD_POSITION_EMBEDDING_CLASS} needs a known number of tokens and features`);
    this.embeddings = this.addWeight('embeddings', [tokens, features], 'float32', tfl.initializers.randomNormal({ mean: 0, stddev: 0.02 }));
    super.build(inputShape);
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return onlyShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.add(onlyTensor(inputs), this.embeddings!.read()));
  }
}
