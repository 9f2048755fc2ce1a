import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** The constructor arguments every tfjs-layers layer takes (name, trainable, ...). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/** The single input of a one-input layer. */
export function onlyTensor(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

/** The single input shape of a one-input layer (a Shape is itself an array). */
export function onlyShape(shapes: tfl.Shape | tfl.Shape[]): tfl.Shape {
  return Array.isArray(shapes[0]) ? (shapes as tfl.Shape[])[0] : (shapes as tfl.Shape);
}
