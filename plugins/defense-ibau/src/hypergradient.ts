import * as tf from '@tensorflow/tfjs-core';
import type { SecondOrder } from './second-order.js';

/** hypergrad.fixed_point's stopping tolerance on the change of v. */
const TOLERANCE = 1e-10;

export interface FixedPointSpec {
  /** Maximum fixed-point iterations (K). */
  readonly iterations: number;
  /** Step of the fixed-point map `phi(delta) = delta - step * grad_delta L_inner`. */
  readonly step: number;
}

export interface Hypergradient {
  /** The outer loss at the current model. */
  readonly loss: number;
  /** One per variable. */
  readonly grads: tf.Tensor[];
  /** Fixed-point iterations run (0 when the outer loss does not depend on delta). */
  readonly iterations: number;
}

/**
 * The implicit hypergradient of I-BAU's outer loss (the fixed-point method of the authors'
 * hypergrad.py, after Grazzi et al. 2020): with g_theta, g_delta the gradients of the outer
 * loss, iterate v <- (d phi / d delta)^T v + g_delta = v - step * H v + g_delta from v = 0
 * at most K times, then return g_theta + (d phi / d theta)^T v
 * = g_theta - step * d/dtheta <grad_delta L_inner, v>. `delta` is the inner solution,
 * held fixed; the outer loss must read it (and the variables) so that both get gradients.
 */
export function implicitHypergradient(
  vars: readonly tf.Variable[], delta: tf.Variable, outerLoss: () => tf.Scalar, second: SecondOrder, spec: FixedPointSpec,
): Hypergradient {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(outerLoss, [...vars, delta]);
    const gTheta = vars.map((v) => grads[v.name] ?? tf.zerosLike(v));
    const gDelta = grads[delta.name] ?? tf.zerosLike(delta);
    const loss = value.dataSync()[0];
    if (tf.norm(gDelta).dataSync()[0] === 0) return { loss, grads: gTheta, iterations: 0 };
    // The first iteration from v = 0 gives g_delta.
    let v: tf.Tensor = gDelta;
    let iterations = 1;
    while (iterations < spec.iterations) {
      const next = tf.add(tf.sub(v, tf.mul(second.hvp(delta, v), spec.step)), gDelta);
      const change = tf.norm(tf.sub(next, v)).dataSync()[0];
      v = next;
      iterations++;
      if (change < TOLERANCE) break;
    }
    const mixed = second.mixed(delta, v);
    return { loss, grads: gTheta.map((g, i) => tf.sub(g, tf.mul(mixed[i], spec.step))), iterations };
  });
}
