import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel, GraphNode } from '@qcb/core';
import { perturbationLoss } from './loss.js';

/** The inner problem of the hypergradient: its loss on fixed images and labels, at delta. */
export interface InnerLoss {
  readonly model: GraphModel;
  readonly vars: readonly tf.Variable[];
  readonly x: tf.Tensor;
  readonly y: tf.Tensor1D;
  readonly reg: number;
}

/**
 * The second-order products of the inner loss L that the fixed-point iterations need, at
 * delta: computed on this thread (below) or summed over a pool's workers (pool.ts). The
 * caller owns the tensors returned.
 */
export interface SecondOrder {
  /** Hessian of L in delta times v. */
  hvp(delta: tf.Tensor, v: tf.Tensor): tf.Tensor | Promise<tf.Tensor>;
  /** d/dtheta of <grad_delta L, v>, one tensor per variable. */
  mixed(delta: tf.Tensor, v: tf.Tensor): tf.Tensor[] | Promise<tf.Tensor[]>;
}

/** SecondOrder's products as this thread computes them (no promise). */
export interface LocalSecondOrder extends SecondOrder {
  hvp(delta: tf.Tensor, v: tf.Tensor): tf.Tensor;
  mixed(delta: tf.Tensor, v: tf.Tensor): tf.Tensor[];
}

const PIECEWISE_LINEAR = new Set(['linear', 'relu']);

/**
 * Ops whose tfjs gradients are themselves differentiable (checked against central differences
 * in index.test.ts). Others fail or, worse, silently drop terms: tfjs saves an op's
 * output for its backward pass in a tape node recorded before the op (exp, sigmoid, tanh,
 * max pooling), and some gradients build masks with ops that have no gradient (relu6, Max).
 */
const SECOND_ORDER_OPS = new Set(['input', 'conv2d', 'dense', 'batchNorm', 'add', 'globalAvgPool', 'flatten', 'dropout', 'zeroPad', 'rescale', 'normalize']);

function exactNode(node: GraphNode): boolean {
  if (node.op === 'conv2d' || node.op === 'dense') return PIECEWISE_LINEAR.has((node.attrs as { activation: string }).activation);
  if (node.op === 'activation') {
    const a = node.attrs as { kind: string; fn?: string; maxValue?: number | null; negativeSlope?: number; threshold?: number };
    if (a.kind === 'named') return PIECEWISE_LINEAR.has(a.fn ?? '');
    return a.kind === 'relu' && a.maxValue === null && a.negativeSlope === 0 && a.threshold === 0;
  }
  return SECOND_ORDER_OPS.has(node.op);
}

/** True when double backpropagation through the model (BN in inference mode) is exact on tfjs. */
export function supportsExactSecondOrder(model: GraphModel): boolean {
  return model.graph.nodes.every(exactNode);
}

function gradInDelta(p: InnerLoss, delta: tf.Tensor): tf.Tensor {
  return tf.grad((d: tf.Tensor) => perturbationLoss(p.model, p.x, p.y, d, p.reg))(delta);
}

function gradInTheta(p: InnerLoss, f: () => tf.Scalar): tf.Tensor[] {
  const { grads } = tf.variableGrads(f, [...p.vars]);
  return p.vars.map((v) => grads[v.name] ?? tf.zerosLike(v));
}

/** Products by double backpropagation (what the authors' torch.autograd.grad computes). */
export function exactSecondOrder(p: InnerLoss): LocalSecondOrder {
  return {
    hvp: (delta, v) => tf.tidy(() => tf.grad((d: tf.Tensor) => tf.sum(tf.mul(gradInDelta(p, d), v)) as tf.Scalar)(delta)),
    mixed: (delta, v) => tf.tidy(() => gradInTheta(p, () => tf.sum(tf.mul(gradInDelta(p, delta), v)) as tf.Scalar)),
  };
}

/**
 * Length of the central-difference step along v. Across ReLU kinks a gradient jumps, so the
 * step must stay small; below about 1e-5 float32 rounding dominates.
 */
export const FD_STEP = 1e-4;

/**
 * Products by central differences of first-order gradients along v (the Hessian is symmetric,
 * so the mixed product is the derivative of the parameter gradient along v), for models
 * whose ops tfjs cannot differentiate twice.
 */
export function finiteDifferenceSecondOrder(p: InnerLoss, step = FD_STEP): LocalSecondOrder {
  const along = (delta: tf.Tensor, v: tf.Tensor, f: (d: tf.Tensor) => tf.Tensor[]): tf.Tensor[] => {
    const norm = tf.norm(v).dataSync()[0];
    if (norm === 0) return f(delta).map((g) => tf.zerosLike(g));
    const eps = step / norm;
    const plus = f(tf.add(delta, tf.mul(v, eps)));
    const minus = f(tf.sub(delta, tf.mul(v, eps)));
    return plus.map((g, i) => tf.div(tf.sub(g, minus[i]), 2 * eps));
  };
  return {
    hvp: (delta, v) => tf.tidy(() => along(delta, v, (d) => [gradInDelta(p, d)])[0]),
    mixed: (delta, v) => tf.tidy(() => along(delta, v, (d) => gradInTheta(p, () => perturbationLoss(p.model, p.x, p.y, d, p.reg)))),
  };
}
