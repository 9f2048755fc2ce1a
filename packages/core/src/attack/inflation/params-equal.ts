import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel, ParamFilter } from '../../ir/graph-model.js';

/**
 * Whether the selected parameters of `a` equal those of `b` (same graph) exactly: how an
 * attack tells, on resuming, whether its model was already inflated or trained.
 */
export function paramsEqual(a: GraphModel, b: GraphModel, filter: ParamFilter = () => true): boolean {
  return a.graph.nodes.every((node) => Object.entries(node.params).every(([name, v]) => {
    if (!filter(node, name)) return true;
    const w = b.node(node.name).params[name];
    return w !== undefined && w.shape.join() === v.shape.join() && tf.tidy(() => tf.all(tf.equal(v, w)).dataSync()[0] === 1);
  }));
}
