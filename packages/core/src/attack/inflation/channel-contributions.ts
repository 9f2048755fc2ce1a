import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '../../ir/graph-model.js';
import type { InflatableChain } from './inflatable-chains.js';

/** Sum of squares of x over every axis but the given one. */
function sumOfSquaresAlong(x: tf.Tensor, axis: number): tf.Tensor1D {
  const others = [...Array(x.rank).keys()].filter((a) => a !== axis);
  return tf.sum(tf.square(x), others) as tf.Tensor1D;
}

/**
 * What each channel of each chain carries into the next layer on the given (normalised)
 * batches: the root-mean-square of its activation times the norm of the next layer's
 * weights for it. Inflating a channel costs the quantized model at most about this much
 * (its shrunken activation may round to zero on the per-tensor activation grid, see
 * inflate-channels.ts), so the least contributing channels are the cheapest to inflate.
 */
export function channelContributions(model: GraphModel, chains: readonly InflatableChain[], batches: readonly tf.Tensor[]): Float32Array[] {
  const squares = chains.map(() => null as Float64Array | null);
  const positions = chains.map(() => 0);
  for (const x of batches) {
    const measured = tf.tidy(() =>
      model.outputsOf(x, chains.map((c) => c.activation)).map((a) => ({ sums: sumOfSquaresAlong(a, a.rank - 1).dataSync(), positions: a.size / a.shape[a.rank - 1] })),
    );
    measured.forEach((m, i) => {
      const acc = (squares[i] ??= new Float64Array(m.sums.length));
      for (let c = 0; c < m.sums.length; c++) acc[c] += m.sums[c];
      positions[i] += m.positions;
    });
  }
  return chains.map((chain, i) => {
    const kernel = model.node(chain.next).params['kernel'];
    const weightNorms = tf.tidy(() => tf.sqrt(sumOfSquaresAlong(kernel, kernel.rank - 2)).dataSync());
    const acc = squares[i] ?? new Float64Array(weightNorms.length);
    return Float32Array.from(weightNorms, (norm, c) => Math.sqrt(acc[c] / Math.max(positions[i], 1)) * norm);
  });
}
