import * as tf from '@tensorflow/tfjs-core';
import { mulberry32, shuffleInPlace, weightedSum, type Batch, type DefenseRunHooks, type GraphModel, type Optimizer } from '@qcb/core';
import { implicitHypergradient, outerGradients, type FixedPointSpec, type OuterGradients } from './hypergradient.js';
import { meanCrossEntropy } from './loss.js';
import type { SecondOrder } from './second-order.js';

/** The loss stage other plugins see (`loss.terms`), as the training defenses name theirs. */
export const IBAU_STAGE = 'defense:ibau';

/**
 * Which images of an outer batch get the perturbation: `floor(count * portion)` of them, drawn
 * without replacement (the authors' `random.sample(..., int(number * portion))`). A
 * `[count, 1, 1, 1]` mask of ones and zeros.
 */
export function patchMask(count: number, portion: number, seed: number): tf.Tensor4D {
  const chosen = Math.floor(count * portion + 1e-9);
  const order = shuffleInPlace(Int32Array.from({ length: count }, (_, i) => i), mulberry32(seed));
  const mask = new Float32Array(count);
  for (let i = 0; i < chosen; i++) mask[order[i]] = 1;
  return tf.tensor4d(mask, [count, 1, 1, 1]);
}

/** The outer loss (the authors' `loss_outer`): cross-entropy on the batch with delta added to the masked images, plus the run's `loss.terms`. */
export function outerLoss(model: GraphModel, hooks: DefenseRunHooks, batch: Batch, mask: tf.Tensor, delta: tf.Tensor): tf.Scalar {
  const logits = model.predict(tf.add(batch.x, tf.mul(mask, delta)));
  return weightedSum(hooks.loss.terms.call([{ name: 'ce', value: meanCrossEntropy(logits, batch.y), weight: 1 }], { stage: IBAU_STAGE, model }));
}

/** Where an outer step's gradients come from: this thread, or a pool's workers (pool.ts). */
export interface HypergradientTerms {
  /** The outer loss on the batch with delta added to the masked images, and its gradients in the variables and delta. */
  outer(batch: Batch, mask: tf.Tensor, delta: tf.Variable): OuterGradients | Promise<OuterGradients>;
  readonly second: SecondOrder;
}

/** The terms by backpropagation on this thread: the outer loss with the run's `loss.terms`. */
export function localTerms(model: GraphModel, hooks: DefenseRunHooks, vars: readonly tf.Variable[], second: SecondOrder): HypergradientTerms {
  return { outer: (batch, mask, delta) => outerGradients(vars, delta, () => outerLoss(model, hooks, batch, mask, delta)), second };
}

export interface OuterStepSetup {
  readonly model: GraphModel;
  /** Over the model's trainable variables. */
  readonly optimizer: Optimizer;
  readonly terms: HypergradientTerms;
  readonly fixedPoint: FixedPointSpec;
}

/** One update of the model by the implicit hypergradient at the round's fixed delta; returns the outer loss before it and the fixed-point iterations run. */
export async function outerStep(s: OuterStepSetup, batch: Batch, mask: tf.Tensor, delta: tf.Variable, lr: number): Promise<{ loss: number; iterations: number }> {
  const h = await implicitHypergradient(await s.terms.outer(batch, mask, delta), delta, s.terms.second, s.fixedPoint);
  tf.tidy(() => s.optimizer.step(h.grads, lr));
  tf.dispose(h.grads);
  return { loss: h.loss, iterations: h.iterations };
}
