import * as tf from '@tensorflow/tfjs-core';
import { GraphExecutor, type RunOptions } from './executor.js';
import type { Graph, GraphNode } from './graph.js';
import { opDef } from './ops/index.js';
import { findUnits, type CalibrationUnit } from './units.js';

export interface ParamCounts {
  readonly total: number;
  readonly trainable: number;
}

/** Selects parameters, e.g. `(node) => node.op === 'conv2d'`. */
export type ParamFilter = (node: GraphNode, param: string) => boolean;

/**
 * A graph with its executor and calibration units: the object every stage of qcb works
 * on. It owns the graph's variables; `dispose()` frees them.
 */
export class GraphModel {
  readonly executor: GraphExecutor;
  private unitsCache?: readonly CalibrationUnit[];

  constructor(readonly graph: Graph) {
    this.executor = new GraphExecutor(graph);
  }

  get inputShape(): readonly number[] {
    return this.graph.inputShape;
  }

  node(name: string): GraphNode {
    return this.executor.node(name);
  }

  /** The graph output for a batch. */
  predict(x: tf.Tensor, options: Omit<RunOptions, 'outputs'> = {}): tf.Tensor {
    return this.executor.run(x, options)[0];
  }

  /** Seeds training-mode dropout's masks from here on (GraphExecutor.seedDropout); null: unseeded. */
  seedDropout(seed: number | null): void {
    this.executor.seedDropout(seed);
  }

  /** Outputs of the named nodes, running only what they need. */
  outputsOf(x: tf.Tensor | null, nodes: readonly string[], options: Omit<RunOptions, 'outputs'> = {}): tf.Tensor[] {
    return this.executor.run(x, { ...options, outputs: nodes });
  }

  /** Runs one calibration unit alone on its input. */
  runUnit(unit: CalibrationUnit, input: tf.Tensor, options: Omit<RunOptions, 'outputs' | 'feeds'> = {}): tf.Tensor {
    return this.executor.run(null, { ...options, feeds: new Map([[unit.input, input]]), outputs: [unit.output] })[0];
  }

  units(): readonly CalibrationUnit[] {
    this.unitsCache ??= findUnits(this.graph);
    return this.unitsCache;
  }

  /** Variables selected by `filter` (default: every trainable one). */
  variables(filter: ParamFilter = (n, p) => !n.frozen.includes(p)): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const node of this.graph.nodes) {
      for (const [name, v] of Object.entries(node.params)) if (filter(node, name)) out.push(v);
    }
    return out;
  }

  paramCounts(): ParamCounts {
    let total = 0;
    let trainable = 0;
    for (const node of this.graph.nodes) {
      for (const [name, v] of Object.entries(node.params)) {
        total += v.size;
        if (!node.frozen.includes(name)) trainable += v.size;
      }
    }
    return { total, trainable };
  }

  /** Role of a node's op (compute, norm, activation, merge, ...). */
  roleOf(node: GraphNode): string {
    return opDef(node.op).role;
  }

  dispose(): void {
    for (const node of this.graph.nodes) for (const v of Object.values(node.params)) v.dispose();
  }
}
