import * as tf from '@tensorflow/tfjs-core';
import {
  AdamReplica, HostRows, fromPortableQuantized, channelsLastView, replicaTask, weightParamOf, weightedSum,
  type CalibrationUnit, type ParallelTask, type PortableQuantized, type ReplicaBuffers, type ShardGradient, type SharedRows,
} from '@qcb/core';
import { roundingObjective } from './objective.js';
import { regulariserExponent, type EfrapOptions } from './options.js';
import { FlipRounding } from './rounding.js';

/** What each worker receives for one unit (parallel-rounding.ts sends it). */
export interface RoundingTaskInit {
  /** The working model (quantized weights off the grid, alpha added to the head's). */
  readonly work: PortableQuantized;
  readonly unit: CalibrationUnit;
  readonly options: EfrapOptions;
  readonly inputs: SharedRows;
  readonly targets: SharedRows;
  /** Each weight's flip guide (guide.ts), channels-last, computed once on the calling thread. */
  readonly guide: Float32Array;
  /** The logits, their gradient slots and the barrier (core's AdamReplica). */
  readonly replica: ReplicaBuffers;
}

/**
 * One EFRAP unit on a worker, data-parallel (core's AdamReplica holds this worker's logits
 * and Adam): each step's gradient is that of the share-weighted loss of learn-unit.ts
 * (objective.ts) on this worker's shard of the batch. The flip and rounding terms do not
 * depend on the batch: weighted by the shares, they add up to themselves over the workers.
 * Calls: 'steps', 'reset' (replicaTask), and 'publish' (worker 0 writes its logits).
 */
export function createRoundingTask(raw: unknown, worker: { readonly index: number; readonly count: number }): ParallelTask {
  const init = raw as RoundingTaskInit;
  const work = fromPortableQuantized(init.work);
  const model = work.model;
  const unit = init.unit;
  const o = init.options;
  const node = model.node(unit.head);
  const view = tf.tidy(() => tf.clone(channelsLastView(node, node.params[weightParamOf(node)!])));
  const rounding = new FlipRounding(view, work.parts.weights.get(unit.head)!);
  const flipped = rounding.flipped();
  const guide = tf.tensor(init.guide, rounding.error.shape);
  const logits = tf.tidy(() => tf.variable(tf.zerosLike(view), true));
  const replica = new AdamReplica(logits, init.replica, worker);
  const objective = roundingObjective(work, unit, rounding, flipped, guide, o);
  const inputs = HostRows.fromShared(init.inputs);
  const targets = HostRows.fromShared(init.targets);

  const shardGradient: ShardGradient = (rows, { start, size }, share, iteration) => {
    const own = rows.subarray(start, start + size);
    const b = regulariserExponent(o, iteration);
    return tf.tidy(() => {
      const x = inputs.gather(own);
      const y = targets.gather(own);
      const { value, grads } = tf.variableGrads(() => tf.mul(weightedSum(objective.terms(x, y, logits, b)), share) as tf.Scalar, [logits]);
      return { value: value.dataSync()[0], grad: grads[logits.name] };
    });
  };

  return replicaTask(replica, shardGradient, {
    calls: { publish: () => replica.publish() },
    dispose: () => {
      tf.dispose([view, flipped, guide, logits]);
      rounding.dispose();
      model.dispose();
    },
  });
}
