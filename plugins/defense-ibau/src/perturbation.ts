import * as tf from '@tensorflow/tfjs-core';
import type { Batch, GraphModel } from '@qcb/core';
import { perturbationLoss, predictedLabels } from './loss.js';

export interface PerturbationSearch {
  /** SGD learning rate on delta. */
  readonly lr: number;
  /** Weight of `||delta||^2`. */
  readonly reg: number;
  /** At most this many steps, one batch each (0: every batch given). */
  readonly steps: number;
  /** L2 radius delta is projected onto at the end (0: none). */
  readonly normBound: number;
}

/** Scales delta into the L2 ball of radius `bound` (the authors' `delta * min(1, bound / ||delta||)`). */
export function projectL2(delta: tf.Tensor, bound: number): tf.Tensor {
  return tf.tidy(() => {
    if (bound <= 0) return tf.clone(delta);
    const norm = tf.norm(delta).dataSync()[0];
    return norm > bound ? tf.mul(delta, bound / norm) : tf.clone(delta);
  });
}

/** The search loss's gradient in delta on a batch's images: on this thread (below) or summed over a pool's workers (pool.ts). */
export type SearchGradient = (x: tf.Tensor, delta: tf.Tensor, reg: number) => tf.Tensor | Promise<tf.Tensor>;

/** perturbationLoss's gradient in delta against the model's own predictions, on this thread. */
export function localSearchGradient(model: GraphModel): SearchGradient {
  return (x, delta, reg) => tf.tidy(() => {
    const labels = predictedLabels(model, x);
    return tf.grad((d: tf.Tensor) => perturbationLoss(model, x, labels, d, reg))(delta);
  });
}

/**
 * The inner problem of one I-BAU round (the authors' code): a single perturbation of one
 * image's shape, from zero, one SGD step per batch on the negated cross-entropy against the
 * model's own predictions plus an L2 penalty, then projected onto the L2 ball. The model is
 * not changed. Disposes the batches it consumes; returns delta `[1, ...inputShape]`.
 */
export async function searchPerturbation(model: GraphModel, batches: Iterable<Batch>, s: PerturbationSearch, gradient = localSearchGradient(model)): Promise<tf.Tensor> {
  const delta = tf.tidy(() => tf.variable(tf.zeros([1, ...model.inputShape]), true));
  try {
    let steps = 0;
    for (const batch of batches) {
      try {
        const grad = await gradient(batch.x, delta, s.reg);
        tf.tidy(() => delta.assign(tf.sub(delta, tf.mul(grad, s.lr))));
        grad.dispose();
      } finally {
        tf.dispose([batch.x, batch.y]);
      }
      if (s.steps > 0 && ++steps >= s.steps) break;
    }
    return projectL2(delta, s.normBound);
  } finally {
    delta.dispose();
  }
}
