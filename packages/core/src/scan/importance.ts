import * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../errors.js';
import type { QuantizedModel } from '../quant/quantized-model.js';

/** Images with the labels the loss is taken against (the attack's target for triggered images). */
export interface LabelledBatch {
  readonly x: tf.Tensor4D;
  readonly y: tf.Tensor1D;
}

/** Neurons to prune one at a time: channels of one node's output (the last axis). */
export interface PruneTarget {
  readonly node: string;
  readonly channels: readonly number[];
}

/** Summed softmax cross-entropy of a batch of logits against integer labels. */
function crossEntropySum(logits: tf.Tensor, y: tf.Tensor1D): tf.Scalar {
  const classes = logits.shape[logits.shape.length - 1];
  const logProbs = tf.logSoftmax(tf.reshape(logits, [-1, classes]) as tf.Tensor2D);
  return tf.neg(tf.sum(tf.mul(tf.oneHot(tf.cast(y, 'int32'), classes), logProbs))) as tf.Scalar;
}

/**
 * For each target channel: the mean over the images of CE(f_-k(x), y) - CE(f(x), y), where
 * f is the quantized model and f_-k the same model with neuron k pruned (its output at the
 * target node set to 0 for every image). The pruned run is fed the cached node output, so
 * only what lies downstream of it (and any branch that bypasses it) runs again.
 */
export async function pruningLossIncrease(
  quantized: QuantizedModel,
  targets: readonly PruneTarget[],
  batches: readonly LabelledBatch[],
  o: { onStep?: () => void } = {},
): Promise<Float64Array[]> {
  const model = quantized.model;
  const output = model.graph.output;
  const transform = quantized.transform();
  const sums = targets.map((t) => new Float64Array(t.channels.length));
  let images = 0;
  for (const { x, y } of batches) {
    if (y.shape[0] !== x.shape[0]) throw new QcbError('E_USAGE', `a batch of ${x.shape[0]} images has ${y.shape[0]} labels`);
    images += x.shape[0];
    for (const [t, target] of targets.entries()) {
      const [node, base] = tf.tidy(() => {
        const [n, out] = model.outputsOf(x, [target.node, output], { transform });
        return [n, crossEntropySum(out, y)] as const;
      });
      try {
        const baseLoss = base.dataSync()[0];
        const channels = node.shape[node.shape.length - 1];
        target.channels.forEach((k, i) => {
          if (!Number.isInteger(k) || k < 0 || k >= channels) throw new QcbError('E_USAGE', `node "${target.node}" has no channel ${k} (it has ${channels})`);
          const pruned = tf.tidy(() => {
            const keep = tf.sub(1, tf.reshape(tf.oneHot(tf.tensor1d([k], 'int32'), channels), [channels]));
            const feeds = new Map([[target.node, tf.mul(node, keep)]]);
            return crossEntropySum(model.executor.run(x, { feeds, transform, outputs: [output] })[0], y);
          });
          sums[t][i] += pruned.dataSync()[0] - baseLoss;
          pruned.dispose();
        });
      } finally {
        tf.dispose([node, base]);
      }
      o.onStep?.();
      await new Promise((r) => setImmediate(r));
    }
  }
  if (images === 0) throw new QcbError('E_USAGE', 'pruning importance needs at least one image');
  return sums.map((s) => s.map((v) => v / images));
}

/**
 * Backdoor importance tau of each target neuron, the paper's Definition 3.1:
 * tau_k = E_{x_t ~ D'}[L_ce(f_-k(x_t), y_t) - L_ce(f(x_t), y_t)], the increase of the
 * backdoor loss when neuron k is pruned, on the quantized model (where a QCB is awake).
 * `triggered` holds triggered images labelled with the target y_t.
 */
export function backdoorImportance(
  quantized: QuantizedModel,
  targets: readonly PruneTarget[],
  triggered: readonly LabelledBatch[],
  o: { onStep?: () => void } = {},
): Promise<Float64Array[]> {
  return pruningLossIncrease(quantized, targets, triggered, o);
}
