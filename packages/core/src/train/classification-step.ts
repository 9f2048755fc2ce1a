import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '../ir/graph-model.js';

/**
 * One supervised training step: softmax cross-entropy on integer labels, BN in training
 * mode (moving statistics updated), gradients applied to `variables` (default: every
 * trainable one). Returns the batch loss. Allocates nothing that outlives the call.
 */
export function classificationStep(
  model: GraphModel,
  optimizer: tf.Optimizer,
  x: tf.Tensor,
  labels: tf.Tensor1D,
  variables: tf.Variable[] = model.variables(),
): number {
  const cost = optimizer.minimize(
    () => {
      const logits = model.predict(x, { training: true }) as tf.Tensor2D;
      const oneHot = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1]);
      return tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
    },
    true,
    variables,
  );
  const loss = cost!.dataSync()[0];
  cost!.dispose();
  return loss;
}
