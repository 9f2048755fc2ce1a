import type * as tf from '@tensorflow/tfjs-core';
import type { CalibrationUnit } from '../ir/units.js';
import type { UnitContext } from '../kernel/hook-types.js';
import type { QuantizedModel } from '../quant/quantized-model.js';
import { fromPlainTensor, toPlainTensor, type PlainTensor } from './plain-tensor.js';
import { toPortableQuantized } from './portable-quantized.js';
import { shardsOf } from './shards.js';
import type { StepPool } from './step-pool.js';
import type { TaskModule } from './task.js';
import type { UnitPieceTaskInit } from './unit-piece-task.js';

/**
 * Maps `pieces` with a unitPieceTask on the pool's workers, a contiguous share each (every
 * worker rebuilds `work` and runs `unit` on it), and returns the results in the pieces'
 * order: a piece's result depends only on that piece, so it is the one-thread result.
 */
export async function mapUnitPiecesOnPool(pool: StepPool, work: QuantizedModel, unit: CalibrationUnit, task: TaskModule, options: unknown, pieces: readonly tf.Tensor[]): Promise<tf.Tensor[]> {
  const shards = shardsOf(pieces.length, pool.size);
  const plain = pieces.map(toPlainTensor);
  const common = { work: toPortableQuantized(work), unit: { ...unit, nodes: [...unit.nodes] }, options };
  await pool.setup(task, (i): UnitPieceTaskInit => ({ ...common, pieces: plain.slice(shards[i].start, shards[i].start + shards[i].size) }), 1);
  try {
    const results = (await pool.call('map', () => null)) as PlainTensor[][];
    return results.flat().map(fromPlainTensor);
  } finally {
    await pool.clear();
  }
}

/** A unit context's `mapPieces` on the pool (mapUnitPiecesOnPool); none without a pool, and augmentations then map on this thread. */
export function unitPieceMapping(pool: StepPool | null, work: QuantizedModel, unit: CalibrationUnit): Pick<UnitContext, 'mapPieces'> {
  return pool ? { mapPieces: (task, options, pieces) => mapUnitPiecesOnPool(pool, work, unit, task, options, pieces) } : {};
}
