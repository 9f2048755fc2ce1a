import * as tf from '@tensorflow/tfjs-core';
import { runPieces, unitInputPass, unitTargetPass, type CachePiece } from '../defense/layerwise/unit-cache.js';
import { GraphModel } from '../ir/graph-model.js';
import type { CalibrationUnit } from '../ir/units.js';
import { fromSharedTensor, toPlainTensor, type PlainTensor, type SharedTensor } from './plain-tensor.js';
import { fromPortableGraph, type PortableGraph } from './portable-graph.js';
import { fromPortableQuantized, type PortableQuantized } from './portable-quantized.js';
import type { ParallelTask } from './task.js';

/** What each worker receives to cache one unit (pool-unit-cache.ts sends it). */
export interface UnitCacheTaskInit {
  /** The model being corrected, with the earlier units' corrections. */
  readonly work: PortableQuantized;
  readonly fp: PortableGraph;
  readonly unit: CalibrationUnit;
  readonly batches: readonly SharedTensor[];
  /** This worker's pieces, in cache order. */
  readonly pieces: readonly CachePiece[];
}

export interface UnitCacheTaskResult {
  readonly inputs: readonly PlainTensor[];
  readonly targets: readonly PlainTensor[];
}

/**
 * The worker side of a pool unit cache: both models rebuilt, this worker's pieces of the
 * unit's input (quantized path) and target (fp path), by the same passes as one thread.
 */
export function createUnitCacheTask(raw: unknown): ParallelTask {
  const init = raw as UnitCacheTaskInit;
  const work = fromPortableQuantized(init.work);
  const fp = new GraphModel(fromPortableGraph(init.fp));
  return {
    call(kind) {
      if (kind !== 'cache') throw new Error(`unknown unit cache task call "${kind}"`);
      const batches = init.batches.map((b) => fromSharedTensor(b) as tf.Tensor4D);
      try {
        const plain = (ts: tf.Tensor[]): PlainTensor[] => {
          const out = ts.map(toPlainTensor);
          tf.dispose(ts);
          return out;
        };
        const targets = plain(runPieces(batches, init.pieces, unitTargetPass(fp, init.unit)));
        const inputs = plain(runPieces(batches, init.pieces, unitInputPass(work, init.unit)));
        return { inputs, targets } satisfies UnitCacheTaskResult;
      } finally {
        tf.dispose(batches);
      }
    },
    dispose() {
      work.model.dispose();
      fp.dispose();
    },
  };
}
