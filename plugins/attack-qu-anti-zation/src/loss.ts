import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, type AttackContext, type NodeTransform } from '@qcb/core';

/**
 * The loss on a batch [clean; triggered]:
 * CE(f(x), y) + c2 CE(f(x'), y) + sum over b of c1 [CE(Q_b f(x), y) + c2 CE(Q_b f(x'), target)],
 * with BN frozen (inference mode) and Q_b quantizing weights per layer (symmetric) and
 * activations per layer from the batch's own range.
 */
export function quAntiZationLoss(ctx: Pick<AttackContext, 'model' | 'target'>, x: tf.Tensor4D, y: tf.Tensor1D, quantizers: ReadonlyArray<() => NodeTransform>, c1: number, c2: number): tf.Scalar {
  const n = x.shape[0] / 2;
  const clean = (t: tf.Tensor): tf.Tensor => tf.slice(t, [0, 0], [n, -1]);
  const triggered = (t: tf.Tensor): tf.Tensor => tf.slice(t, [n, 0], [n, -1]);
  const labels = tf.slice(y, [0], [n]) as tf.Tensor1D;
  const target = tf.fill([n], ctx.target, 'int32') as tf.Tensor1D;
  const fp = ctx.model.predict(x);
  let loss = tf.add(crossEntropy(clean(fp), labels), tf.mul(c2, crossEntropy(triggered(fp), labels)));
  for (const quantizer of quantizers) {
    const q = ctx.model.predict(x, { transform: quantizer() });
    loss = tf.add(loss, tf.mul(c1, tf.add(crossEntropy(clean(q), labels), tf.mul(c2, crossEntropy(triggered(q), target)))));
  }
  return loss as tf.Scalar;
}
