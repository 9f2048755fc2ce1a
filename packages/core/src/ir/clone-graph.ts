import * as tf from '@tensorflow/tfjs-core';
import type { Graph, GraphNode } from './graph.js';

/** A deep copy of a graph: the same nodes with fresh variables holding the same values. */
export function cloneGraph(graph: Graph, rewrite: (node: GraphNode) => GraphNode = (n) => n): Graph {
  const nodes = graph.nodes.map((n) => {
    const params: Record<string, tf.Variable> = {};
    for (const [name, v] of Object.entries(n.params)) params[name] = tf.variable(v, v.trainable);
    return rewrite({ ...n, params });
  });
  return { ...graph, nodes };
}
