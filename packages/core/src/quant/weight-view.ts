import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '../ir/graph.js';

/** The quantized weight of each compute op. */
export const WEIGHT_PARAM: Readonly<Record<string, string>> = { conv2d: 'kernel', depthwiseConv2d: 'depthwiseKernel', dense: 'kernel' };

export function weightParamOf(node: GraphNode): string | undefined {
  return WEIGHT_PARAM[node.op];
}

/**
 * Runs `f` on a view of the weight whose last axis is the output channel: depthwise kernels
 * [kh, kw, c, m] become [kh, kw, c * m]; others already are channels-last.
 */
export function withChannelsLast(node: GraphNode, w: tf.Tensor, f: (view: tf.Tensor) => tf.Tensor): tf.Tensor {
  if (node.op !== 'depthwiseConv2d') return f(w);
  return tf.tidy(() => tf.reshape(f(tf.reshape(w, [w.shape[0], w.shape[1] as number, -1])), w.shape));
}
