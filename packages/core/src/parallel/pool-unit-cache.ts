import * as tf from '@tensorflow/tfjs-core';
import { cacheUnitInputs, cacheUnitTargets, cachePieces, type UnitCachePlan } from '../defense/layerwise/unit-cache.js';
import type { GraphModel } from '../ir/graph-model.js';
import type { CalibrationUnit } from '../ir/units.js';
import type { QuantizedModel } from '../quant/quantized-model.js';
import { compiledModuleUrl } from './compiled-url.js';
import { fromPlainTensor, sharedTensor } from './plain-tensor.js';
import { toPortableGraph, type PortableGraph } from './portable-graph.js';
import { toPortableQuantized } from './portable-quantized.js';
import { shardsOf } from './shards.js';
import type { StepPool } from './step-pool.js';
import type { UnitCacheTaskInit, UnitCacheTaskResult } from './unit-cache-task.js';

const TASK = { url: compiledModuleUrl('./unit-cache-task.js', import.meta.url).href, exportName: 'createUnitCacheTask' };

// The full-precision graph does not change during a run: made portable once.
const portableFp = new WeakMap<GraphModel, PortableGraph>();

/**
 * A unit's cache (cacheUnitInputs and cacheUnitTargets: the same pieces, in the same order)
 * computed by the pool's workers, a contiguous share of the pieces each. Every piece is the
 * one-thread pass on the same rows, so the cache is the one-thread cache. The caller
 * disposes the tensors.
 */
export async function cacheUnitOnPool(
  pool: StepPool, work: QuantizedModel, fp: GraphModel, unit: CalibrationUnit, batches: readonly tf.Tensor4D[], plan: Partial<Pick<UnitCachePlan, 'samples' | 'batch'>> = {},
): Promise<{ inputs: tf.Tensor[]; targets: tf.Tensor[] }> {
  const pieces = cachePieces(batches.map((b) => b.shape[0]), plan);
  const shards = shardsOf(pieces.length, pool.size);
  let fpGraph = portableFp.get(fp);
  if (!fpGraph) {
    fpGraph = toPortableGraph(fp.graph);
    portableFp.set(fp, fpGraph);
  }
  const common = { work: toPortableQuantized(work), fp: fpGraph, unit: { ...unit, nodes: [...unit.nodes] }, batches: batches.map(sharedTensor) };
  await pool.setup(TASK, (i): UnitCacheTaskInit => ({ ...common, pieces: pieces.slice(shards[i].start, shards[i].start + shards[i].size) }), 1);
  try {
    const results = (await pool.call('cache', () => null)) as UnitCacheTaskResult[];
    const inputs = results.flatMap((r) => r.inputs.map(fromPlainTensor));
    const targets = results.flatMap((r) => r.targets.map(fromPlainTensor));
    return { inputs, targets };
  } finally {
    await pool.clear();
  }
}

/** A unit's cache on the pool's workers when there is a pool (cacheUnitOnPool), else on this thread: the same tensors either way. */
export async function cacheUnit(
  pool: StepPool | null, work: QuantizedModel, fp: GraphModel, unit: CalibrationUnit, batches: readonly tf.Tensor4D[], plan: Partial<Pick<UnitCachePlan, 'samples' | 'batch' | 'budget'>> = {},
): Promise<{ inputs: tf.Tensor[]; targets: tf.Tensor[] }> {
  if (pool) return cacheUnitOnPool(pool, work, fp, unit, batches, plan);
  return { targets: cacheUnitTargets(fp, unit, batches, plan), inputs: cacheUnitInputs(work, unit, batches, plan) };
}
