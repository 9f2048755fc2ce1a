import type { ActivationAttrs, BatchNormAttrs, Conv2DAttrs, DenseAttrs, Graph, GraphNode } from '@qcb/core';

/**
 * The tensors that carry one channel of a tensor unchanged in meaning: scaling the channel
 * by 1/f where it is produced and by f where it is read leaves the network's function as it
 * was (exactly, for a power of two).
 */
export interface ChannelGroup {
  /** Node outputs whose channel is scaled. */
  readonly tensors: readonly string[];
  /** BatchNorms, convs and dense layers whose output channel is multiplied by 1/f. */
  readonly producers: readonly GraphNode[];
  /** Convs and dense layers whose input-channel weights are multiplied by f. */
  readonly consumers: readonly GraphNode[];
}

/** Why a channel cannot be scaled: the node that does not commute with a per-channel scale. */
export interface Blocked {
  readonly blockedBy: string;
}

/** Ops through which a positive per-channel scale passes unchanged: f(x / k) = f(x) / k, channel by channel. */
function passesScale(node: GraphNode): boolean {
  switch (node.op) {
    case 'add': case 'maxPool': case 'avgPool': case 'globalAvgPool': case 'dropout': case 'zeroPad':
      return true;
    case 'activation': {
      const a = node.attrs as ActivationAttrs;
      if (a.kind === 'named') return a.fn === 'relu' || a.fn === 'linear';
      if (a.kind === 'relu') return a.maxValue === null && a.threshold === 0;
      return true; // LeakyReLU
    }
    default:
      return false;
  }
}

const homogeneous = (activation: string): boolean => activation === 'relu' || activation === 'linear';

/** A node that can carry the 1/f on its output channel's parameters. */
function canProduce(node: GraphNode): boolean {
  if (node.op === 'batchNorm') return (node.attrs as BatchNormAttrs).scale;
  if (node.op === 'conv2d') return homogeneous((node.attrs as Conv2DAttrs).activation);
  if (node.op === 'dense') return homogeneous((node.attrs as DenseAttrs).activation);
  return false;
}

/**
 * The channel group of `tensor`: upstream through residual adds and homogeneous activations
 * to the layers that produce the channel, downstream to the convs and dense layers that read
 * it. Blocked when a node on the way does not commute with a per-channel scale (a ReLU6, a
 * flatten, a depthwise conv, a layer norm) or when the channel reaches the network's output.
 */
export function channelGroup(graph: Graph, tensor: string): ChannelGroup | Blocked {
  const nodes = new Map(graph.nodes.map((n) => [n.name, n]));
  const readers = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, [...(readers.get(i) ?? []), n]);
  const tensors = new Set<string>();
  const producers = new Map<string, GraphNode>();
  const consumers = new Map<string, GraphNode>();
  const todo = [tensor];
  while (todo.length > 0) {
    const name = todo.pop()!;
    if (tensors.has(name)) continue;
    if (name === graph.output) return { blockedBy: name };
    const node = nodes.get(name)!;
    tensors.add(name);
    if (canProduce(node)) producers.set(name, node);
    else if (passesScale(node)) todo.push(...node.inputs);
    else return { blockedBy: name };
    for (const r of readers.get(name) ?? []) {
      if (r.op === 'conv2d' || r.op === 'dense') consumers.set(r.name, r);
      else if (passesScale(r)) todo.push(r.name);
      else return { blockedBy: r.name };
    }
  }
  return { tensors: [...tensors], producers: [...producers.values()], consumers: [...consumers.values()] };
}
