import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from './graph-model.js';

/** Output shape of every node (without the batch axis), from one run on a zero sample. */
export function nodeOutputShapes(model: GraphModel): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  tf.tidy(() => {
    model.predict(tf.zeros([1, ...model.inputShape]), {
      tap: (node, _inputs, output) => shapes.set(node.name, output.shape.slice(1)),
    });
  });
  return shapes;
}
