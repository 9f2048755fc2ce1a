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

/** The outer loss at the current model and delta, and its gradients in both. */
export interface OuterGradients {
  readonly loss: number;
  /** One per variable. */
  readonly gTheta: tf.Tensor[];
  readonly gDelta: tf.Tensor;
}

export interface Hypergradient {
  /** The outer loss at the current model. */
  readonly loss: number;
  /** One per variable. */
  readonly grads: tf.Tensor[];
  /** Fixed-point iterations run (0 when the outer loss does not depend on delta). */
  readonly iterations: number;
}

/** The outer loss's gradients by backpropagation on this thread: `outerLoss` must read the variables and delta. */
export function outerGradients(vars: readonly tf.Variable[], delta: tf.Variable, outerLoss: () => tf.Scalar): OuterGradients {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(outerLoss, [...vars, delta]);
    return { loss: value.dataSync()[0], gTheta: vars.map((v) => grads[v.name] ?? tf.zerosLike(v)), gDelta: grads[delta.name] ?? tf.zerosLike(delta) };
  });
}

/**
 * The implicit hypergradient of I-BAU's outer loss (the fixed-point method of the authors'
 * hypergrad.py, after Grazzi et al. 2020): with g_theta, g_delta the gradients of the outer
 * loss, iterate v <- (d phi / d delta)^T v + g_delta = v - step * H v + g_delta from v = 0
 * at most K times, then return g_theta + (d phi / d theta)^T v
 * = g_theta - step * d/dtheta <grad_delta L_inner, v>. `delta` is the inner solution,
 * held fixed. The gradients and products may come from this thread or from a pool's
 * workers (pool.ts); this takes ownership of `outer`'s tensors.
 */
export async function implicitHypergradient(outer: OuterGradients, delta: tf.Tensor, second: SecondOrder, spec: FixedPointSpec): Promise<Hypergradient> {
  const { loss, gTheta, gDelta } = outer;
  try {
    if (tf.tidy(() => tf.norm(gDelta).dataSync()[0]) === 0) return { loss, grads: gTheta, iterations: 0 };
    // The first iteration from v = 0 gives g_delta.
    let v: tf.Tensor = tf.clone(gDelta);
    let iterations = 1;
    try {
      while (iterations < spec.iterations) {
        const hv = await second.hvp(delta, v);
        const next = tf.tidy(() => tf.add(tf.sub(v, tf.mul(hv, spec.step)), gDelta));
        hv.dispose();
        const change = tf.tidy(() => tf.norm(tf.sub(next, v)).dataSync()[0]);
        v.dispose();
        v = next;
        iterations++;
        if (change < TOLERANCE) break;
      }
      const mixed = await second.mixed(delta, v);
      const grads = tf.tidy(() => gTheta.map((g, i) => tf.sub(g, tf.mul(mixed[i], spec.step))));
      tf.dispose([...mixed, ...gTheta]);
      return { loss, grads, iterations };
    } finally {
      v.dispose();
    }
  } finally {
    gDelta.dispose();
  }
}
