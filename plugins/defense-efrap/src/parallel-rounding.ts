import type * as tf from '@tensorflow/tfjs-core';
import { ReplicaRun, compiledModuleUrl, floatValues, toPortableQuantized, type CalibrationUnit, type HostRows, type QuantizedModel, type StepPool } from '@qcb/core';
import type { EfrapOptions } from './options.js';
import type { RoundingTaskInit } from './parallel-rounding-task.js';

const TASK = { url: compiledModuleUrl('./parallel-rounding-task.js', import.meta.url).href, exportName: 'createRoundingTask' };

/**
 * One EFRAP unit's logits trained on a StepPool's workers (parallel-rounding-task.ts on
 * core's AdamReplica), every replica started from `logits`; the workers read the cache in
 * shared memory in place.
 */
export function startParallelRounding(
  pool: StepPool, work: QuantizedModel, unit: CalibrationUnit, cache: { readonly inputs: HostRows; readonly targets: HostRows }, guide: tf.Tensor, logits: tf.Variable, o: EfrapOptions,
): Promise<ReplicaRun> {
  return ReplicaRun.start(pool, TASK, logits, (replica): RoundingTaskInit => ({
    work: toPortableQuantized(work),
    unit: { ...unit, nodes: [...unit.nodes] },
    options: o,
    inputs: cache.inputs.shared(),
    targets: cache.targets.shared(),
    guide: Float32Array.from(floatValues(guide)),
    replica,
  }));
}
