import * as tf from '@tensorflow/tfjs-core';
import { mulberry32, shuffleInPlace, weightedSum, type Batch, type DefenseRunHooks, type GraphModel, type Optimizer } from '@qcb/core';
import { implicitHypergradient, type FixedPointSpec } from './hypergradient.js';
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

export interface OuterStepSetup {
  readonly model: GraphModel;
  readonly hooks: DefenseRunHooks;
  /** Over the model's trainable variables. */
  readonly optimizer: Optimizer;
  readonly second: SecondOrder;
  readonly fixedPoint: FixedPointSpec;
}

/** One update of the model by the implicit hypergradient at the round's fixed delta; returns the outer loss before it and the fixed-point iterations run. */
export function outerStep(s: OuterStepSetup, batch: Batch, mask: tf.Tensor, delta: tf.Variable, lr: number): { loss: number; iterations: number } {
  return tf.tidy(() => {
    const h = implicitHypergradient(s.optimizer.variables, delta, () => outerLoss(s.model, s.hooks, batch, mask, delta), s.second, s.fixedPoint);
    s.optimizer.step(h.grads, lr);
    return { loss: h.loss, iterations: h.iterations };
  });
}
