import * as tf from '@tensorflow/tfjs-core';
import { hashString, mixSeeds } from '../data/random.js';
import { QcbError } from '../errors.js';
import type { Graph, GraphNode } from './graph.js';
import type { BatchStats, ForwardContext } from './op-def.js';
import { opDef } from './ops/index.js';

/**
 * Rewrites what a node sees or produces during one run. Quantizers use it to
 * fake-quantize weights (`param`) and activations at conv/dense inputs (`inputs`).
 */
export interface NodeTransform {
  inputs?(node: GraphNode, inputs: readonly tf.Tensor[]): readonly tf.Tensor[];
  param?(node: GraphNode, name: string, value: tf.Tensor): tf.Tensor;
  output?(node: GraphNode, output: tf.Tensor): tf.Tensor;
}

/** Observes a node's (transformed) inputs and output; must not dispose them. */
export type NodeTap = (node: GraphNode, inputs: readonly tf.Tensor[], output: tf.Tensor) => void;

export interface RunOptions {
  /** Batch statistics in BN and active dropout (default false). */
  readonly training?: boolean;
  /** Update BN moving statistics when training (default: same as `training`). */
  readonly updateStats?: boolean;
  readonly transform?: NodeTransform;
  readonly tap?: NodeTap;
  /** Nodes whose outputs are returned, in order (default: the graph output). */
  readonly outputs?: readonly string[];
  /** Node outputs given instead of computed: nothing upstream of them runs. */
  readonly feeds?: ReadonlyMap<string, tf.Tensor>;
  /** Training-mode BN nodes normalise with these statistics instead of their batch's own. */
  readonly batchStats?: ReadonlyMap<string, BatchStats>;
}

/**
 * Runs a graph with tfjs-core ops. Allocations belong to the caller's scope: wrap calls
 * in `tf.tidy` (or a gradient function) as with any tfjs op.
 */
export class GraphExecutor {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly plans = new Map<string, readonly GraphNode[]>();
  private dropout: { seed: number; runs: number } | null = null;

  constructor(readonly graph: Graph) {
    for (const n of graph.nodes) this.nodes.set(n.name, n);
  }

  node(name: string): GraphNode {
    const n = this.nodes.get(name);
    if (!n) throw new QcbError('E_USAGE', `graph "${this.graph.name}" has no node "${name}"`);
    return n;
  }

  /**
   * Seeds the masks of training-mode dropout: the n-th training run after this call masks
   * each dropout node from (seed, n, the node's name). A trainer seeds once per batch
   * (Batch.seed), so that a run draws the same masks in every process and after a resume.
   * null: unseeded (tfjs's own generator).
   */
  seedDropout(seed: number | null): void {
    this.dropout = seed === null ? null : { seed, runs: 0 };
  }

  /** Runs the graph on `input` (or from `feeds` alone) and returns the requested outputs. */
  run(input: tf.Tensor | null, options: RunOptions = {}): tf.Tensor[] {
    const outputs = options.outputs ?? [this.graph.output];
    const feeds = options.feeds ?? new Map<string, tf.Tensor>();
    const values = new Map<string, tf.Tensor>(feeds);
    const training = options.training ?? false;
    const transform = options.transform;
    const runSeed = training && this.dropout ? mixSeeds(this.dropout.seed, this.dropout.runs++) : undefined;
    const ctx: ForwardContext = {
      training,
      updateStats: training && (options.updateStats ?? true),
      param: transform?.param
        ? (node, name) => transform.param!(node, name, this.paramOf(node, name))
        : (node, name) => this.paramOf(node, name),
      batchStats: options.batchStats ? (node) => options.batchStats!.get(node.name) : undefined,
      ...(runSeed === undefined ? {} : { dropoutSeed: (node: GraphNode) => mixSeeds(runSeed, hashString(node.name)) }),
    };
    for (const node of this.plan(outputs, feeds)) {
      let ins: readonly tf.Tensor[];
      if (node.op === 'input') {
        if (!input) throw new QcbError('E_USAGE', `graph "${this.graph.name}": input "${node.name}" is needed but was not given`);
        ins = [input];
      } else {
        ins = node.inputs.map((i) => values.get(i)!);
      }
      if (transform?.inputs) ins = transform.inputs(node, ins);
      let out = opDef(node.op).forward(ins, node, ctx);
      if (transform?.output) out = transform.output(node, out);
      options.tap?.(node, ins, out);
      values.set(node.name, out);
    }
    return outputs.map((o) => {
      const v = values.get(o);
      if (!v) throw new QcbError('E_USAGE', `graph "${this.graph.name}": output "${o}" was not computed`);
      return v;
    });
  }

  private paramOf(node: GraphNode, name: string): tf.Variable {
    const p = node.params[name];
    if (!p) throw new QcbError('E_USAGE', `node "${node.name}" has no parameter "${name}"`);
    return p;
  }

  /** The nodes needed for `outputs` given `feeds`, in topological order (cached). */
  private plan(outputs: readonly string[], feeds: ReadonlyMap<string, tf.Tensor>): readonly GraphNode[] {
    const key = `${outputs.join(',')}|${[...feeds.keys()].sort().join(',')}`;
    const cached = this.plans.get(key);
    if (cached) return cached;
    const needed = new Set<string>();
    const stack = [...outputs];
    while (stack.length > 0) {
      const name = stack.pop()!;
      if (needed.has(name) || feeds.has(name)) continue;
      needed.add(name);
      stack.push(...this.node(name).inputs);
    }
    const plan = this.graph.nodes.filter((n) => needed.has(n.name));
    this.plans.set(key, plan);
    return plan;
  }
}
