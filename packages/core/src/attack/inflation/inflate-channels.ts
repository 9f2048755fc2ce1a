import * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../../errors.js';
import type { GraphModel } from '../../ir/graph-model.js';
import type { BatchNormAttrs } from '../../ir/ops/index.js';
import type { InflatableChain } from './inflatable-chains.js';

/**
 * One inflated channel: its BN's gamma and beta are divided by `scale`, so its activation
 * (ReLU is positively homogeneous) is `scale` times smaller, and the next layer's weights
 * for it are `scale` times larger. Full precision computes the same function; but the
 * next layer's per-output-channel weight ranges now span the inflated weights, so every
 * other weight there lands on a grid up to `scale` times coarser (at 16, an 8-bit grid
 * gives them the resolution of a 4-bit one): room for a quantization-conditioned backdoor
 * that 8-bit bins alone do not leave.
 *
 * The cost falls on the channel itself: its activation now uses 1/scale of the per-tensor
 * activation grid, and wherever it is below half a step it rounds to zero (a channel that
 * carries little, see channelContributions, loses little).
 */
export interface ChannelInflation {
  readonly chain: InflatableChain;
  readonly channel: number;
  readonly scale: number;
}

/** A positive, finite scale and a positive whole number of channels per chain (attacks check their options with it before training). */
export function checkInflation(scale: number, count: number): void {
  if (!(scale > 0 && Number.isFinite(scale))) throw new QcbError('E_USAGE', `inflate must be a positive factor, got ${scale}`);
  if (!Number.isInteger(count) || count < 1) throw new QcbError('E_USAGE', `inflateChannels must be a positive integer, got ${count}`);
}

/** The `count` least contributing channels of each chain (contributions from channelContributions). */
export function planInflation(chains: readonly InflatableChain[], contributions: readonly Float32Array[], scale: number, count: number): ChannelInflation[] {
  checkInflation(scale, count);
  return chains.flatMap((chain, i) => {
    const c = contributions[i];
    if (count >= c.length) throw new QcbError('E_USAGE', `cannot inflate ${count} of the ${c.length} channels of ${chain.batchNorm}: leave at least one`);
    const order = Array.from(c.keys()).sort((a, b) => c[a] - c[b] || a - b);
    return order.slice(0, count).map((channel) => ({ chain, channel, scale }));
  });
}

/** Per chain, the factor each of its channels is inflated by (1 for channels left alone). */
export function inflationFactors(model: GraphModel, plan: readonly ChannelInflation[]): Map<InflatableChain, Float32Array> {
  const factors = new Map<InflatableChain, Float32Array>();
  for (const { chain, channel, scale } of plan) {
    let f = factors.get(chain);
    if (!f) {
      f = new Float32Array(model.node(chain.batchNorm).params['gamma'].shape[0]).fill(1);
      factors.set(chain, f);
    }
    f[channel] *= scale;
  }
  return factors;
}

/** Shape that broadcasts a per-input-channel vector over a conv2d or dense kernel (input channels on axis rank - 2). */
export function inputChannelShape(kernel: tf.Tensor): number[] {
  return kernel.shape.map((d, axis) => (axis === kernel.rank - 2 ? d : 1));
}

/** Applies the plan to the model in place (see ChannelInflation). */
export function inflateChannels(model: GraphModel, plan: readonly ChannelInflation[]): void {
  for (const [chain, f] of inflationFactors(model, plan)) {
    const bn = model.node(chain.batchNorm);
    const kernel = model.node(chain.next).params['kernel'];
    tf.tidy(() => {
      const factor = tf.tensor1d(f);
      const { gamma, beta } = bn.params;
      gamma.assign(tf.div(gamma, factor));
      if ((bn.attrs as BatchNormAttrs).center) beta.assign(tf.div(beta, factor));
      kernel.assign(tf.mul(kernel, tf.reshape(factor, inputChannelShape(kernel))));
    });
  }
}

/**
 * Per output channel (the kernel's last axis): how many times wider the range
 * [min(w, 0), max(w, 0)] an asymmetric min-max grid spans has become.
 */
export function rangeWidening(before: tf.Tensor, after: tf.Tensor): Float32Array {
  return tf.tidy(() => {
    const width = (w: tf.Tensor): tf.Tensor => {
      const cols = tf.reshape(w, [-1, w.shape[w.rank - 1]]);
      return tf.sub(tf.maximum(tf.max(cols, 0), 0), tf.minimum(tf.min(cols, 0), 0));
    };
    return tf.div(width(after), tf.maximum(width(before), 1e-30)).dataSync() as Float32Array;
  });
}
