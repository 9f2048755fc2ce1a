import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@qcb/core';

/** The largest magnitude of every channel (last axis) of each named node output over the batches. */
export function channelMaxima(model: GraphModel, names: readonly string[], batches: readonly tf.Tensor[]): Map<string, Float32Array> {
  const maxima = new Map<string, Float32Array>();
  for (const batch of batches) {
    const perTensor = tf.tidy(() => model.outputsOf(batch, names).map((a) => tf.max(tf.abs(a), [...Array(a.rank - 1).keys()]).dataSync() as Float32Array));
    names.forEach((name, i) => {
      const seen = maxima.get(name);
      if (!seen) maxima.set(name, Float32Array.from(perTensor[i]));
      else perTensor[i].forEach((v, c) => (seen[c] = Math.max(seen[c], v)));
    });
  }
  return maxima;
}

/** The q-quantile (0..1) of the values, by the nearest rank below. */
export function quantile(values: Float32Array, q: number): number {
  const sorted = Float32Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
