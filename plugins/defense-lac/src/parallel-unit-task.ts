import * as tf from '@tensorflow/tfjs-core';
import {
  AdamReplica, HostRows, fromPortableQuantized, mulberry32, ownShards, replicaTask, shardsOf, weightParamOf,
  type CalibrationUnit, type ParallelTask, type PortableQuantized, type ReplicaBuffers, type ShardGradient, type SharedRows,
} from '@qcb/core';
import { accumulated } from './accumulate.js';
import { shiftedRows } from './channel-shift.js';
import { squaredEuclidean } from './distance.js';
import { unitForward, unitTransform } from './unit-forward.js';

/** What each worker receives for one unit (parallel-unit.ts sends it). */
export interface UnitTaskInit {
  /** The working model (quantized weights off the grid, alpha added to the head's). */
  readonly work: PortableQuantized;
  readonly unit: CalibrationUnit;
  readonly quantizeOutput: boolean;
  readonly inputs: SharedRows;
  readonly targets: SharedRows;
  /** The inputs the cache is scored on: shifted once per channel, or the inputs' own buffer. */
  readonly scoredInputs: SharedRows;
  /** The head's offset alpha, its gradient slots and the barrier (core's AdamReplica). */
  readonly replica: ReplicaBuffers;
  /** Rows per forward pass when scoring the cache. */
  readonly scoreBatch: number;
  /** Rows per forward and backward pass of a step (planUnitCache's stepBatch): a larger shard is summed in parts. */
  readonly stepBatch: number;
  /** The channel shift's radius (0: off) and the seed of step 0's shifts (lac.ts: step i draws from seed + i). */
  readonly shift: number;
  readonly shiftSeed: number;
}

/**
 * One LAC unit on a worker, data-parallel (core's AdamReplica holds this worker's alpha and
 * Adam): each step's gradient is the squared-Euclidean reconstruction of this worker's shard
 * of the batch, through lac.ts's forward (unit-forward.ts). Calls: 'steps', 'reset'
 * (replicaTask), and 'score' (this worker's parts of the cache; worker 0 also publishes alpha).
 */
export function createUnitTask(raw: unknown, worker: { readonly index: number; readonly count: number }): ParallelTask {
  const init = raw as UnitTaskInit;
  const work = fromPortableQuantized(init.work);
  const model = work.model;
  const unit = init.unit;
  const head = model.node(unit.head);
  const alpha = tf.tidy(() => tf.variable(tf.zeros(head.params[weightParamOf(head)!].shape), true));
  const replica = new AdamReplica(alpha, init.replica, worker);
  // The cache stays in shared memory: each batch's rows are copied out (core's host-rows.ts).
  const inputs = HostRows.fromShared(init.inputs);
  const targets = HostRows.fromShared(init.targets);
  const scoredInputs = init.scoredInputs.buffer === init.inputs.buffer ? inputs : HostRows.fromShared(init.scoredInputs);
  const channels = init.inputs.shape[init.inputs.shape.length - 1];
  const transform = unitTransform(work, unit.head, alpha);
  const unitOutput = unitForward(work, unit, init.quantizeOutput);
  const forward = (x: tf.Tensor): tf.Tensor => unitOutput(x, transform);

  /**
   * With a shift, the step's generator first skips the draws of the rows before the shard,
   * so that each row gets the shift a one-thread step gives it.
   */
  const shardGradient: ShardGradient = (rows, { start, size }, share, iteration) => {
    const shifts = mulberry32(init.shiftSeed + iteration);
    if (init.shift) for (let i = 0; i < start * channels; i++) shifts();
    const { value, grad } = accumulated(Array.from(rows.subarray(start, start + size)), init.stepBatch, (own) => {
      const x = shiftedRows(inputs, own, init.shift, shifts);
      const { value: loss, grads } = tf.variableGrads(() => squaredEuclidean(forward(x), targets.gather(own)), [alpha]);
      return { value: loss, grad: grads[alpha.name] };
    });
    const weighted = tf.mul(grad, share);
    grad.dispose();
    return { value: value * share, grad: weighted };
  };

  return replicaTask(replica, shardGradient, {
    calls: {
      score: (workers) => {
        // Per part of the cache (one per pool worker) this worker takes (ownShards): the sum
        // over its rows of (rows x distance), per forward pass of scoreBatch rows.
        const parts = shardsOf(scoredInputs.count, worker.count);
        const sums = ownShards(worker.index, workers as number, worker.count).map((j) => {
          const { start, size } = parts[j];
          let sum = 0;
          for (let s = start; s < start + size; s += init.scoreBatch) {
            const n = Math.min(init.scoreBatch, start + size - s);
            sum += n * tf.tidy(() => squaredEuclidean(forward(scoredInputs.slice(s, n)), targets.slice(s, n)).dataSync()[0]);
          }
          return { part: j, sum };
        });
        replica.publish();
        return sums;
      },
    },
    dispose: () => {
      alpha.dispose();
      model.dispose();
    },
  });
}
