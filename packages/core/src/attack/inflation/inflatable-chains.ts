import type { GraphModel } from '../../ir/graph-model.js';
import type { GraphNode } from '../../ir/graph.js';
import type { ActivationAttrs, BatchNormAttrs } from '../../ir/ops/index.js';
import { consumersOf } from '../../ir/units.js';

/**
 * A BN -> activation -> conv/dense chain along which one channel can be scaled without
 * changing the function: the BN has a gamma, the activation is positively homogeneous
 * (ReLU, leaky ReLU, linear), and each node's output goes only to the next one, so that no
 * residual add or second branch sees the scaled channel. In a ResNet basic block this is
 * the inner pair `conv1 -> bn1 -> relu -> conv2`; the stem and the block outputs feed adds
 * and never match.
 */
export interface InflatableChain {
  readonly batchNorm: string;
  readonly activation: string;
  /** The conv2d or dense node whose input channels are scaled up. */
  readonly next: string;
}

function isHomogeneous(node: GraphNode): boolean {
  if (node.op !== 'activation') return false;
  const a = node.attrs as ActivationAttrs;
  if (a.kind === 'named') return a.fn === 'relu' || a.fn === 'linear';
  if (a.kind === 'relu') return a.maxValue === null && a.threshold === 0;
  return a.kind === 'leakyRelu';
}

/** Every inflatable chain of the graph, in graph order. */
export function inflatableChains(model: GraphModel): InflatableChain[] {
  const consumers = consumersOf(model.graph);
  const only = (name: string): GraphNode | undefined => {
    const next = consumers.get(name)!;
    return next.length === 1 ? model.node(next[0]) : undefined;
  };
  const chains: InflatableChain[] = [];
  for (const bn of model.graph.nodes) {
    if (bn.op !== 'batchNorm' || !(bn.attrs as BatchNormAttrs).scale) continue;
    const act = only(bn.name);
    if (!act || !isHomogeneous(act)) continue;
    const next = only(act.name);
    if (!next || (next.op !== 'conv2d' && next.op !== 'dense') || next.inputs[0] !== act.name) continue;
    chains.push({ batchNorm: bn.name, activation: act.name, next: next.name });
  }
  return chains;
}
