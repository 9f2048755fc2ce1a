import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer } from './optimizers/optimizer.js';

/**
 * One gradient step of `loss` over the optimizer's variables at learning rate `lr`;
 * returns the loss. Everything it allocates is released before it returns.
 */
export function trainStep(optimizer: Optimizer, loss: () => tf.Scalar, lr: number): number {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(loss, [...optimizer.variables]);
    optimizer.step(optimizer.variables.map((v) => grads[v.name]), lr);
    return value.dataSync()[0];
  });
}

/** Mean softmax cross-entropy of logits against integer labels. */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  const oneHot = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[logits.rank - 1]);
  return tf.losses.softmaxCrossEntropy(oneHot, logits as tf.Tensor2D) as tf.Scalar;
}
