import * as tf from '@tensorflow/tfjs-core';
import type { Graph, GraphNode } from '../ir/graph.js';

/** A parameter as plain data: what a worker thread receives instead of a tf.Variable. */
export interface PortableParam {
  readonly shape: readonly number[];
  readonly values: Float32Array;
  readonly trainable: boolean;
}

export interface PortableNode extends Omit<GraphNode, 'params'> {
  readonly params: Readonly<Record<string, PortableParam>>;
}

/** A graph whose parameters are typed arrays: structured-clonable to a worker thread. */
export interface PortableGraph extends Omit<Graph, 'nodes'> {
  readonly nodes: readonly PortableNode[];
}

export function toPortableGraph(graph: Graph): PortableGraph {
  const nodes = graph.nodes.map((n): PortableNode => {
    const params: Record<string, PortableParam> = {};
    for (const [name, v] of Object.entries(n.params)) params[name] = { shape: v.shape, values: v.dataSync() as Float32Array, trainable: v.trainable };
    return { ...n, params };
  });
  return { ...graph, nodes };
}

/** The graph with fresh variables holding the portable values (the caller disposes them). */
export function fromPortableGraph(p: PortableGraph): Graph {
  const nodes = p.nodes.map((n): GraphNode => {
    const params: Record<string, tf.Variable> = {};
    for (const [name, v] of Object.entries(n.params)) params[name] = tf.tidy(() => tf.variable(tf.tensor(v.values, [...v.shape], 'float32'), v.trainable));
    return { ...n, params };
  });
  return { ...p, nodes };
}
