import * as tf from '@tensorflow/tfjs-core';
import type { NodeTransform } from '../ir/executor.js';
import type { GraphModel } from '../ir/graph-model.js';
import type { GraphNode } from '../ir/graph.js';
import type { QuantParams } from '../kernel/hook-types.js';
import { fakeQuant } from './fake-quant.js';

/**
 * Observes a node's input over the whole calibration batch (one tensor, or one per
 * micro-batch) and returns the grid that input is then fake-quantized with.
 */
export type InputObserver = (node: GraphNode, pieces: readonly tf.Tensor[]) => QuantParams;

export interface CalibrationPassOptions {
  /** Compute nodes whose input is observed, then fake-quantized. */
  readonly observed: ReadonlySet<string>;
  readonly observe: InputObserver;
  /** The weights as the pass uses them (fake-quantized). */
  readonly param?: NodeTransform['param'];
  /** Samples per forward pass; the batch is split when it holds more. */
  readonly micro: number;
}

/** Output names the rest of the graph needs once the nodes before `position` have run. */
function frontier(model: GraphModel, position: number, lastUse: ReadonlyMap<string, number>): string[] {
  return model.graph.nodes.filter((n, i) => i < position && (lastUse.get(n.name) ?? -1) >= position).map((n) => n.name);
}

/**
 * One calibration batch through the model: every observed node sees its input on the
 * already-quantized path upstream, observes it over the whole batch, and passes it on
 * fake-quantized with the resulting grid. A batch larger than `micro` runs node range by
 * node range: each micro-batch is carried up to the next observed node's input, the node
 * observes all pieces at once (observers/index.ts observeRangeOfParts), then the pieces
 * go on. Only the outputs still needed downstream are held for the whole batch, and the
 * grids are those of a single pass (min-max exactly; MSE up to the order of its sums).
 */
export function calibrationPass(model: GraphModel, batch: tf.Tensor4D, o: CalibrationPassOptions): void {
  const count = batch.shape[0];
  if (o.micro >= count) {
    tf.tidy(() => {
      model.predict(batch, {
        transform: {
          param: o.param,
          inputs: (node, ins) => (o.observed.has(node.name) ? [fakeQuant(ins[0], o.observe(node, [ins[0]])), ...ins.slice(1)] : ins),
        },
      });
    });
    return;
  }
  const nodes = model.graph.nodes;
  const lastUse = new Map<string, number>();
  nodes.forEach((n, i) => n.inputs.forEach((input) => lastUse.set(input, i)));
  lastUse.set(model.graph.output, Infinity);
  const grids = new Map<string, QuantParams>();
  const transform: NodeTransform = {
    param: o.param,
    inputs: (node, ins) => {
      const grid = grids.get(node.name);
      return grid ? [fakeQuant(ins[0], grid), ...ins.slice(1)] : ins;
    },
  };
  const states: Map<string, tf.Tensor>[] = [];
  for (let start = 0; start < count; start += o.micro) {
    states.push(new Map([[model.graph.input, tf.slice(batch, start, Math.min(o.micro, count - start))]]));
  }
  try {
    nodes.forEach((node, position) => {
      if (!o.observed.has(node.name)) return;
      const names = frontier(model, position, lastUse);
      states.forEach((state, i) => {
        const outputs = tf.tidy(() => model.outputsOf(null, names, { feeds: state, transform }));
        states[i] = new Map(names.map((name, j) => [name, outputs[j]]));
        const kept = new Set(outputs);
        for (const t of state.values()) if (!kept.has(t)) t.dispose();
      });
      grids.set(node.name, o.observe(node, states.map((state) => state.get(node.inputs[0])!)));
    });
  } finally {
    for (const state of states) for (const t of state.values()) t.dispose();
  }
}
