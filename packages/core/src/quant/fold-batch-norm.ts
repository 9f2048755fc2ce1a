import * as tf from '@tensorflow/tfjs-core';
import { GraphModel } from '../ir/graph-model.js';
import type { Graph, GraphNode } from '../ir/graph.js';
import type { BatchNormAttrs, Conv2DAttrs, DenseAttrs, DepthwiseConv2DAttrs } from '../ir/ops/index.js';
import { consumersOf } from '../ir/units.js';
import { WEIGHT_PARAM, withChannelsLast } from './weight-view.js';

type Foldable = Conv2DAttrs | DepthwiseConv2DAttrs | DenseAttrs;

/**
 * Folds every BN that directly follows a conv, depthwise conv or dense (with no activation
 * of its own and no other consumer) into that node: W' = W * g / sqrt(v + eps) per output
 * channel, b' = (b - m) * g / sqrt(v + eps) + beta. Returns a new model; the input is untouched.
 */
export function foldBatchNorm(model: GraphModel): GraphModel {
  const graph = model.graph;
  const consumers = consumersOf(graph);
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const foldInto = new Map<string, GraphNode<BatchNormAttrs>>();
  for (const node of graph.nodes) {
    if (!(node.op in WEIGHT_PARAM) || (node.attrs as Foldable).activation !== 'linear') continue;
    const next = consumers.get(node.name)!;
    const bn = next.length === 1 ? byName.get(next[0])! : undefined;
    if (bn?.op === 'batchNorm') foldInto.set(node.name, bn as GraphNode<BatchNormAttrs>);
  }
  const removed = new Map([...foldInto].map(([conv, bn]) => [bn.name, conv]));
  const nodes: GraphNode[] = [];
  for (const node of graph.nodes) {
    if (removed.has(node.name)) continue;
    const inputs = node.inputs.map((i) => removed.get(i) ?? i);
    const bn = foldInto.get(node.name);
    const params: Record<string, tf.Variable> = {};
    for (const [name, v] of Object.entries(node.params)) params[name] = tf.variable(v, v.trainable);
    if (!bn) {
      nodes.push({ ...node, inputs, params });
      continue;
    }
    const kernelName = WEIGHT_PARAM[node.op];
    const [kernel, bias] = tf.tidy(() => {
      const a = bn.attrs;
      const channels = bn.params['movingMean'].shape[0];
      const gamma = a.scale ? bn.params['gamma'] : tf.ones([channels]);
      const beta = a.center ? bn.params['beta'] : tf.zeros([channels]);
      const factor = tf.div(gamma, tf.sqrt(tf.add(bn.params['movingVariance'], a.epsilon)));
      const w = node.params[kernelName];
      // Depthwise kernels [kh, kw, c, m] have output channel c * m + q.
      const scaled = withChannelsLast(node, w, (view) => tf.mul(view, factor));
      const b = (node.attrs as Foldable).useBias ? node.params['bias'] : tf.zeros([channels]);
      return [scaled, tf.add(tf.mul(tf.sub(b, bn.params['movingMean']), factor), beta)];
    });
    params[kernelName].dispose();
    params['bias']?.dispose();
    params[kernelName] = tf.variable(kernel);
    params['bias'] = tf.variable(bias);
    tf.dispose([kernel, bias]);
    nodes.push({ ...node, inputs, params, attrs: { ...(node.attrs as Foldable), useBias: true } });
  }
  const folded: Graph = { ...graph, nodes, output: removed.get(graph.output) ?? graph.output };
  return new GraphModel(folded);
}
