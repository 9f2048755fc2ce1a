import * as tf from '@tensorflow/tfjs-core';
import type { BatchNormAttrs, GraphNode, NodeTap } from '@qcb/core';
import { bnStatisticsLoss } from './bn-statistics-loss.js';
import type { PdaOptions } from './options.js';

/** Runs the network part that contains the BNs, calling `tap` on every node. */
export type TappedForward = (x: tf.Tensor, tap: NodeTap) => void;

/**
 * Poisoned distribution approximation: sign-gradient descent on the input towards the BN
 * running statistics of the BNs reached by `forward`, projected onto the l-infinity ball of
 * radius gamma around the original input; the step size halves at the midpoint.
 */
export function pdaPerturb(x0: tf.Tensor, forward: TappedForward, bns: ReadonlySet<string>, o: PdaOptions): tf.Tensor {
  const lossOf = (x: tf.Tensor): tf.Scalar => {
    const terms: tf.Scalar[] = [];
    forward(x, (node, inputs) => {
      if (bns.has(node.name)) terms.push(bnStatisticsLoss(node as GraphNode<BatchNormAttrs>, inputs[0]));
    });
    return terms.reduce((a, b) => tf.add(a, b)) as tf.Scalar;
  };
  const grad = tf.grad(lossOf);
  const lower = tf.sub(x0, o.gamma);
  const upper = tf.add(x0, o.gamma);
  let x = tf.clone(x0);
  for (let s = 0; s < o.steps; s++) {
    const a = s < o.steps / 2 ? o.stepSize : o.stepSize / 2;
    const next = tf.tidy(() => tf.minimum(tf.maximum(tf.sub(x, tf.mul(tf.sign(grad(x)), a)), lower), upper));
    x.dispose();
    x = next;
  }
  tf.dispose([lower, upper]);
  return x;
}
