import type * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '../ir/graph-model.js';
import type { Optimizer } from './optimizers/optimizer.js';
import { crossEntropy, trainStep } from './train-step.js';

/**
 * One supervised training step: softmax cross-entropy on integer labels, BN in training
 * mode (moving statistics updated). Returns the batch loss.
 */
export function classificationStep(model: GraphModel, optimizer: Optimizer, x: tf.Tensor, labels: tf.Tensor1D, lr: number): number {
  return trainStep(optimizer, () => crossEntropy(model.predict(x, { training: true }), labels), lr);
}
