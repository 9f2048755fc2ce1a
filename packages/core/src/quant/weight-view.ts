import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '../ir/graph.js';

/** The quantized weight of each compute op. */
export const WEIGHT_PARAM: Readonly<Record<string, string>> = { conv2d: 'kernel', depthwiseConv2d: 'depthwiseKernel', dense: 'kernel' };

export function weightParamOf(node: GraphNode): string | undefined {
  return WEIGHT_PARAM[node.op];
}

/**
 * The weight viewed with the output channel as its last axis: depthwise kernels
 * [kh, kw, c, m] become [kh, kw, c * m]; others already are channels-last (returned as is).
 */
export function channelsLastView(node: GraphNode, w: tf.Tensor): tf.Tensor {
  return node.op === 'depthwiseConv2d' ? tf.reshape(w, [w.shape[0], w.shape[1] as number, -1]) : w;
}

/** Runs `f` on the weight's channels-last view (see channelsLastView) and returns the result in the weight's shape. */
export function withChannelsLast(node: GraphNode, w: tf.Tensor, f: (view: tf.Tensor) => tf.Tensor): tf.Tensor {
  if (node.op !== 'depthwiseConv2d') return f(w);
  return tf.tidy(() => tf.reshape(f(channelsLastView(node, w)), w.shape));
}

/**
 * Reads the weight through its channels-last view (e.g. to observe its range) without
 * keeping the view: a depthwise kernel's reshaped copy is released once `f` returns.
 */
export function readChannelsLast<T>(node: GraphNode, w: tf.Tensor, f: (view: tf.Tensor) => T): T {
  if (node.op !== 'depthwiseConv2d') return f(w);
  const view = channelsLastView(node, w);
  try {
    return f(view);
  } finally {
    view.dispose();
  }
}
