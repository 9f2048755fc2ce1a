import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@qcb/core';

type CustomOp = Parameters<typeof tf.customGrad>[0];

/**
 * exp whose gradient is rebuilt from its input. tfjs saves an op's *output* for the backward
 * pass through a tape node recorded before the op itself, so a second backward pass cannot
 * reach it: with tf.exp, the gradient of a gradient through a softmax comes out wrong.
 */
const exp2: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return { value: tf.exp(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, exp2(saved[0])) };
}) as unknown as CustomOp) as (x: tf.Tensor) => tf.Tensor;

/**
 * The row maximum with a zero gradient: the shift cancels out of the cross-entropy, and tfjs's
 * Max gradient builds an Equal mask, an op with no gradient, which a second backward pass rejects.
 */
const rowMax: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.max(x, -1, true),
  gradFunc: () => tf.zeros(x.shape),
})) as unknown as CustomOp) as (x: tf.Tensor) => tf.Tensor;

/** Softmax cross-entropy of each sample, twice differentiable on tfjs (see exp2, rowMax). */
export function sampleCrossEntropy(logits: tf.Tensor, labels: tf.Tensor1D): tf.Tensor1D {
  // From an int32 one-hot: the wasm backend's float32 oneHot writes integer bit patterns.
  const oneHot = tf.cast(tf.oneHot(tf.cast(labels, 'int32'), logits.shape[logits.rank - 1]), 'float32');
  const z = tf.sub(logits, rowMax(logits));
  return tf.sub(tf.log(tf.sum(exp2(z), -1)), tf.sum(tf.mul(oneHot, z), -1)) as tf.Tensor1D;
}

export function meanCrossEntropy(logits: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  return tf.mean(sampleCrossEntropy(logits, labels)) as tf.Scalar;
}

/**
 * The loss the perturbation minimises (the authors' `loss_inner`): the negated cross-entropy of
 * the model on the images plus delta, plus `reg * ||delta||^2`. BN uses its moving statistics:
 * the original unlearns in `model.eval()`.
 */
export function perturbationLoss(model: GraphModel, x: tf.Tensor, labels: tf.Tensor1D, delta: tf.Tensor, reg: number): tf.Scalar {
  const ce = meanCrossEntropy(model.predict(tf.add(x, delta)), labels);
  return tf.add(tf.neg(ce), tf.mul(tf.sum(tf.square(delta)), reg)) as tf.Scalar;
}

/** The model's own predictions, the labels of the perturbation search (the authors' `ori_lab`). */
export function predictedLabels(model: GraphModel, x: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.argMax(model.predict(x), -1) as tf.Tensor1D);
}
