import * as tf from '@tensorflow/tfjs-core';
import type { NodeTransform } from '../ir/executor.js';
import type { GraphModel } from '../ir/graph-model.js';
import type { GraphNode } from '../ir/graph.js';
import type { BatchStats } from '../ir/op-def.js';
import type { BatchNormAttrs } from '../ir/ops/index.js';
import { consumersOf } from '../ir/units.js';
import { roundSte } from '../quant/fake-quant.js';
import { weightParamOf, withChannelsLast } from '../quant/weight-view.js';

/** The largest |x| as a number: quantization scales are constants of the step (no gradient). */
function absMax(x: tf.Tensor): number {
  return Math.max(tf.tidy(() => tf.max(tf.abs(x))).dataSync()[0], 1e-8);
}

/**
 * Per-tensor symmetric fake quantization with scale max|w| / divisor and an STE on the
 * rounding: divisor (2^(b-1) - 0.5) is CompArtifact's (127.5 at 8 bits), (2^(b-1) - 1)
 * the usual one (Qu-ANTI-zation).
 */
export function symmetricFakeQuant(w: tf.Tensor, bits: number, divisor: number): tf.Tensor {
  const scale = absMax(w) / divisor;
  const half = 2 ** (bits - 1);
  return tf.mul(tf.clipByValue(roundSte(tf.div(w, scale)), -half, half - 1), scale);
}

/** Per-tensor asymmetric fake quantization from x's own min and max (the current batch's range). */
export function batchRangeFakeQuant(x: tf.Tensor, bits: number): tf.Tensor {
  const [lo, hi] = tf.tidy(() => [tf.min(x).dataSync()[0], tf.max(x).dataSync()[0]]);
  const min = Math.min(lo, 0);
  const max = Math.max(hi, 0);
  const levels = 2 ** bits - 1;
  const scale = Math.max((max - min) / levels, 1e-8);
  const zp = Math.round(-min / scale);
  return tf.mul(tf.sub(tf.clipByValue(tf.add(roundSte(tf.div(x, scale)), zp), 0, levels), zp), scale);
}

/** The BN right after each compute node, if any (the one BN folding would merge into it). */
export function followingBatchNorms(model: GraphModel): Map<string, GraphNode<BatchNormAttrs>> {
  const consumers = consumersOf(model.graph);
  const out = new Map<string, GraphNode<BatchNormAttrs>>();
  for (const node of model.graph.nodes) {
    if (!weightParamOf(node)) continue;
    const next = consumers.get(node.name)!;
    const bn = next.length === 1 ? model.node(next[0]) : undefined;
    if (bn?.op === 'batchNorm') out.set(node.name, bn as GraphNode<BatchNormAttrs>);
  }
  return out;
}

/** gamma / sqrt(variance + eps) per channel: the factor folding a BN into the kernel before it. */
export function batchNormFoldFactor(bn: GraphNode<BatchNormAttrs>, variance: tf.Tensor): tf.Tensor {
  const inv = tf.rsqrt(tf.add(variance, bn.attrs.epsilon));
  return bn.attrs.scale ? tf.mul(bn.params['gamma'], inv) : inv;
}

/**
 * CompArtifact's quantized branch: each kernel is fake-quantized per tensor, symmetric, on
 * its BN-folded form W * gamma / sqrt(var + eps) with the batch statistics the
 * full-precision branch measured (`stats`), then unfolded again, so that the BN after it
 * (normalising with the same shared statistics) sees exactly the folded quantized conv.
 */
export function foldedSymmetricWeights(model: GraphModel, bits: number, stats: ReadonlyMap<string, BatchStats>): NodeTransform {
  const bns = followingBatchNorms(model);
  const divisor = 2 ** (bits - 1) - 0.5;
  return {
    param: (node, name, value) => {
      if (name !== weightParamOf(node)) return value;
      const bn = bns.get(node.name);
      const s = bn ? stats.get(bn.name) : undefined;
      if (!bn || !s) return symmetricFakeQuant(value, bits, divisor);
      const factor = batchNormFoldFactor(bn, s.variance);
      return withChannelsLast(node, value, (w) => tf.div(symmetricFakeQuant(tf.mul(w, factor), bits, divisor), factor));
    },
  };
}

/**
 * Qu-ANTI-zation's quantized model: weights per layer symmetric (max|W| / (2^(b-1) - 1)),
 * activations per layer asymmetric from the current batch's min and max at the input of
 * every conv/dense, both with a straight-through estimator.
 */
export function batchRangeQuantization(bits: number): NodeTransform {
  const divisor = 2 ** (bits - 1) - 1;
  return {
    param: (node, name, value) => (name === weightParamOf(node) ? symmetricFakeQuant(value, bits, divisor) : value),
    inputs: (node, ins) => (weightParamOf(node) ? [batchRangeFakeQuant(ins[0], bits), ...ins.slice(1)] : ins),
  };
}
