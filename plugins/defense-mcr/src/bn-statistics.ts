import * as tf from '@tensorflow/tfjs-core';
import { imageBatch, normalize, type GraphModel, type ImageSet, type NodeTap, type Normalization } from '@qcb/core';

/**
 * Recomputes the moving statistics of every BN of `model` on `set`, as the curve code of
 * the original work (`update_bn`, also BackdoorBox's MCR) does before evaluating a point of
 * the curve: one pass in training mode (each BN normalises with its batch's statistics) in
 * batches of `batchSize` in order, the last one partial; each BN's moving mean and variance
 * become the averages of the batch means and variances weighted by batch size. Batch
 * variances are biased, the convention of the IR's (Keras's) own BN updates. Images are
 * normalised, not augmented.
 */
export function recomputeBnStatistics(model: GraphModel, set: ImageSet, normalization: Normalization, batchSize: number): void {
  const sums = new Map<string, { mean: Float64Array; variance: Float64Array }>();
  for (let start = 0; start < set.count; start += batchSize) {
    const n = Math.min(batchSize, set.count - start);
    const raw = imageBatch(set, Int32Array.from({ length: n }, (_, i) => start + i));
    const tap: NodeTap = (node, inputs) => {
      if (node.op !== 'batchNorm') return;
      const x = inputs[0];
      const { mean, variance } = tf.moments(x, Array.from({ length: x.rank - 1 }, (_, i) => i));
      const acc = sums.get(node.name) ?? { mean: new Float64Array(mean.size), variance: new Float64Array(mean.size) };
      mean.dataSync().forEach((v, c) => (acc.mean[c] += v * n));
      variance.dataSync().forEach((v, c) => (acc.variance[c] += v * n));
      sums.set(node.name, acc);
    };
    tf.tidy(() => void model.predict(normalize(raw.x, normalization), { training: true, updateStats: false, tap }));
    tf.dispose([raw.x, raw.y]);
  }
  tf.tidy(() => {
    for (const [name, acc] of sums) {
      const params = model.node(name).params;
      params['movingMean'].assign(tf.tensor1d(Float32Array.from(acc.mean, (v) => v / set.count)));
      params['movingVariance'].assign(tf.tensor1d(Float32Array.from(acc.variance, (v) => v / set.count)));
    }
  });
}
