import type { Graph, GraphNode } from './graph.js';
import { opDef } from './ops/index.js';

/**
 * A calibration unit (the official LAC code's definition): a conv/dense node and the
 * chain after it, up to the next conv/dense or residual add. Chain nodes have a single
 * input whose producer has no other consumer.
 *
 * In a transformer block this gives: the fused q/k/v dense with the attention after it
 * (its target is the attention's output, so the correction sees the softmax), the output
 * projection, the first MLP dense with its activation, and the second MLP dense; each
 * ends before the residual add. A pre-norm LayerNormalization precedes its dense, so it
 * belongs to no unit (its output is the unit's input).
 */
export interface CalibrationUnit {
  readonly index: number;
  /** The conv/dense node that starts the unit. */
  readonly head: string;
  /** Head first, then its chain. */
  readonly nodes: readonly string[];
  /** The node whose output is the unit's input. */
  readonly input: string;
  /** The unit's last node, whose output is the reconstruction target. */
  readonly output: string;
}

export function consumersOf(graph: Graph): Map<string, string[]> {
  const consumers = new Map<string, string[]>(graph.nodes.map((n) => [n.name, []]));
  for (const n of graph.nodes) for (const i of n.inputs) consumers.get(i)!.push(n.name);
  return consumers;
}

export function isComputeNode(node: GraphNode): boolean {
  return opDef(node.op).role === 'compute';
}

export function findUnits(graph: Graph): CalibrationUnit[] {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const consumers = consumersOf(graph);
  const units: CalibrationUnit[] = [];
  for (const head of graph.nodes) {
    if (!isComputeNode(head)) continue;
    const chain = [head.name];
    let current = head.name;
    for (;;) {
      const next = consumers.get(current)!;
      if (next.length !== 1) break;
      const node = byName.get(next[0])!;
      const role = opDef(node.op).role;
      if (node.inputs.length !== 1 || role === 'compute' || role === 'merge') break;
      chain.push(node.name);
      current = node.name;
    }
    units.push({ index: units.length, head: head.name, nodes: chain, input: head.inputs[0], output: current });
  }
  return units;
}
