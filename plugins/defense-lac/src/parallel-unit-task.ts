import * as tf from '@tensorflow/tfjs-core';
import {
  GraphModel, HostRows, QuantizedModel, fromPortableGraph, parseQuantJson, shardsOf, unitOutputQuantizer, weightParamOf,
  type CalibrationUnit, type JsonObject, type NodeTransform, type ParallelTask, type PortableGraph,
} from '@qcb/core';
import { squaredEuclidean } from './distance.js';

/** A cache in shared memory: rows of `shape[1..]`, `shape[0]` of them. */
export interface SharedRows {
  readonly buffer: SharedArrayBuffer;
  readonly shape: readonly number[];
}

/** What each worker receives for one unit (parallel-unit.ts sends it). */
export interface UnitTaskInit {
  readonly graph: PortableGraph;
  readonly quantJson: JsonObject;
  readonly unit: CalibrationUnit;
  readonly quantizeOutput: boolean;
  readonly inputs: SharedRows;
  readonly targets: SharedRows;
  /** The head's offset alpha, written by the main thread before every call. */
  readonly alpha: SharedArrayBuffer;
  /** Rows per forward pass when scoring the cache. */
  readonly scoreBatch: number;
}

/**
 * One LAC unit on a worker: the same forward as lac.ts (every weight of the unit fake-quantized
 * on its frozen grid, the head's as Q(W + alpha), the next layer's input quantizer on the
 * output) and the squared-Euclidean reconstruction, on this worker's shard of each batch.
 */
export function createUnitTask(raw: unknown, shard: { readonly index: number; readonly count: number }): ParallelTask {
  const init = raw as UnitTaskInit;
  const model = new GraphModel(fromPortableGraph(init.graph));
  const parsed = parseQuantJson(init.quantJson, 'quant.json', new Set(model.graph.nodes.map((n) => n.name)));
  const work = new QuantizedModel({ model, profile: parsed.profile, foldedBatchNorm: parsed.foldedBatchNorm, weights: parsed.weights, activations: parsed.activations, weightsOnGrid: false });
  const unit = init.unit;
  const head = model.node(unit.head);
  const weight = head.params[weightParamOf(head)!];
  const alphaValues = new Float32Array(init.alpha);
  const alpha = tf.variable(tf.zeros(weight.shape), true);
  // The cache stays in shared memory: each batch's rows are copied out (host-rows.ts).
  const inputs = new HostRows(new Float32Array(init.inputs.buffer), init.inputs.shape);
  const targets = new HostRows(new Float32Array(init.targets.buffer), init.targets.shape);
  const outputQuant = init.quantizeOutput ? unitOutputQuantizer(work, unit) : (x: tf.Tensor) => x;
  const transform: NodeTransform = {
    param: (node, name, value) => {
      if (name !== weightParamOf(node)) return value;
      return work.quantizeWeight(node.name, node.name === unit.head ? tf.add(value, alpha) : value);
    },
  };
  const forward = (x: tf.Tensor): tf.Tensor => outputQuant(model.runUnit(unit, x, { transform }));
  const readAlpha = (): void => alpha.assign(tf.tensor(alphaValues, weight.shape));

  return {
    call(kind, payload, gradient) {
      if (kind === 'grad') {
        const idx = payload as Int32Array;
        const { start, size } = shardsOf(idx.length, shard.count)[shard.index];
        if (size === 0) {
          gradient.fill(0, 0, alpha.size);
          return 0;
        }
        const share = size / idx.length;
        return tf.tidy(() => {
          readAlpha();
          const rows = idx.subarray(start, start + size);
          const { value, grads } = tf.variableGrads(() => squaredEuclidean(forward(inputs.gather(rows)), targets.gather(rows)), [alpha]);
          gradient.set(tf.mul(grads[alpha.name], share).dataSync());
          return value.dataSync()[0] * share;
        });
      }
      if (kind === 'score') {
        // Sum over this worker's rows of (rows x distance), per forward pass of scoreBatch rows.
        const { start, size } = shardsOf(inputs.count, shard.count)[shard.index];
        let sum = 0;
        tf.tidy(readAlpha);
        for (let s = start; s < start + size; s += init.scoreBatch) {
          const n = Math.min(init.scoreBatch, start + size - s);
          sum += n * tf.tidy(() => squaredEuclidean(forward(inputs.slice(s, n)), targets.slice(s, n)).dataSync()[0]);
        }
        return sum;
      }
      throw new Error(`unknown unit task call "${kind}"`);
    },
    dispose() {
      alpha.dispose();
      model.dispose();
    },
  };
}
