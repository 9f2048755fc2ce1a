import type * as tf from '@tensorflow/tfjs-core';
import type { NodeTap } from '../ir/executor.js';
import type { GraphNode } from '../ir/graph.js';
import type { CalibrationUnit } from '../ir/units.js';
import { fromPlainTensor, toPlainTensor, type PlainTensor } from './plain-tensor.js';
import { fromPortableQuantized, type PortableQuantized } from './portable-quantized.js';
import type { ParallelTask, ParallelTaskFactory } from './task.js';

/** What each worker receives to map its share of a unit's pieces (pool-unit-pieces.ts sends it). */
export interface UnitPieceTaskInit {
  readonly work: PortableQuantized;
  readonly unit: CalibrationUnit;
  /** The task's own options (plain data). */
  readonly options: unknown;
  readonly pieces: readonly PlainTensor[];
}

/** A unit rebuilt on a worker, run as UnitContext.runUnit runs it (weights rounded to nearest, inputs as given). */
export interface UnitRunner {
  readonly unit: CalibrationUnit;
  /** The model the unit belongs to (e.g. to read a node's attributes). */
  node(name: string): GraphNode;
  runUnit(input: tf.Tensor, tap?: NodeTap): tf.Tensor;
}

/**
 * A pool task that maps each of this worker's pieces with `map` (on the unit rebuilt from
 * its portable model): the worker side of UnitContext.mapPieces. A plugin's worker module
 * exports `unitPieceTask(...)` under the name it passes with its TaskModule.
 */
export function unitPieceTask<O>(map: (x: tf.Tensor, unit: UnitRunner, options: O) => tf.Tensor): ParallelTaskFactory {
  return (raw: unknown): ParallelTask => {
    const init = raw as UnitPieceTaskInit;
    const work = fromPortableQuantized(init.work);
    const transform = work.transform({ activations: false });
    const runner: UnitRunner = {
      unit: init.unit,
      node: (name) => work.model.node(name),
      runUnit: (input, tap) => work.model.runUnit(init.unit, input, { transform, ...(tap ? { tap } : {}) }),
    };
    return {
      call(kind) {
        if (kind !== 'map') throw new Error(`unknown unit piece task call "${kind}"`);
        return init.pieces.map((p) => {
          const x = fromPlainTensor(p);
          try {
            const out = map(x, runner, init.options as O);
            const plain = toPlainTensor(out);
            out.dispose();
            return plain;
          } finally {
            x.dispose();
          }
        });
      },
      dispose() {
        work.model.dispose();
      },
    };
  };
}
