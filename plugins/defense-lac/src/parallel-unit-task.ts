import * as tf from '@tensorflow/tfjs-core';
import {
  Adam, GraphModel, HostRows, QuantizedModel, StepBarrier, floatValues, fromPortableGraph, mulberry32, parseQuantJson, shardsOf, weightParamOf,
  type CalibrationUnit, type JsonObject, type ParallelTask, type PortableGraph,
} from '@qcb/core';
import { accumulated } from './accumulate.js';
import { shiftedRows } from './channel-shift.js';
import { squaredEuclidean } from './distance.js';
import { unitForward, unitTransform } from './unit-forward.js';

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
  /** The inputs the cache is scored on: shifted once per channel, or the inputs' own buffer. */
  readonly scoredInputs: SharedRows;
  /** The head's offset alpha: worker 0 writes its replica here when scoring, the caller before a reset. */
  readonly alpha: SharedArrayBuffer;
  /** Two sets (even and odd steps) of one gradient slot per worker, alpha's size each. */
  readonly gradients: SharedArrayBuffer;
  /** The workers' barrier (core's StepBarrier). */
  readonly barrier: SharedArrayBuffer;
  /** Rows per forward pass when scoring the cache. */
  readonly scoreBatch: number;
  /** Rows per forward and backward pass of a step (planUnitCache's stepBatch): a larger shard is summed in parts. */
  readonly stepBatch: number;
  /** The channel shift's radius (0: off) and the seed of step 0's shifts (lac.ts: step i draws from seed + i). */
  readonly shift: number;
  readonly shiftSeed: number;
}

/** A run of steps: `rows` holds `rows.length / batch` batches of `batch` cache rows, one per step. */
export interface UnitStepsCall {
  readonly rows: Int32Array;
  readonly batch: number;
  readonly lr: number;
  /** The unit's index of the first of these steps (it seeds the step's shifts). */
  readonly first: number;
}

/**
 * One LAC unit on a worker, data-parallel as PyTorch's DDP: each step, the gradient of this
 * worker's shard of the batch (weighted by its share) goes to its slot, a barrier, every
 * worker sums the slots in worker order and applies the same Adam update to its own replica
 * of alpha, so the replicas stay equal without sending weights. The forward is lac.ts's
 * (unit-forward.ts) with the squared-Euclidean reconstruction.
 * Slots alternate between two sets on even and odd steps: a worker that starts the next step
 * never overwrites a slot another is still summing. Calls: 'steps' (UnitStepsCall; answers
 * this worker's share-weighted losses), 'score' (this worker's part of the cache; worker 0
 * also publishes its alpha), 'reset' (alpha from the shared buffer, a fresh Adam).
 */
export function createUnitTask(raw: unknown, worker: { readonly index: number; readonly count: number }): ParallelTask {
  const init = raw as UnitTaskInit;
  const model = new GraphModel(fromPortableGraph(init.graph));
  const parsed = parseQuantJson(init.quantJson, 'quant.json', new Set(model.graph.nodes.map((n) => n.name)));
  const work = new QuantizedModel({ model, profile: parsed.profile, foldedBatchNorm: parsed.foldedBatchNorm, weights: parsed.weights, activations: parsed.activations, weightsOnGrid: false });
  const unit = init.unit;
  const head = model.node(unit.head);
  const weight = head.params[weightParamOf(head)!];
  const alphaShared = new Float32Array(init.alpha);
  const alpha = tf.variable(tf.zeros(weight.shape), true);
  let optimizer = new Adam([alpha]);
  // The cache stays in shared memory: each batch's rows are copied out (core's host-rows.ts).
  const inputs = new HostRows(new Float32Array(init.inputs.buffer), init.inputs.shape);
  const targets = new HostRows(new Float32Array(init.targets.buffer), init.targets.shape);
  const scoredInputs = init.scoredInputs.buffer === init.inputs.buffer ? inputs : new HostRows(new Float32Array(init.scoredInputs.buffer), init.scoredInputs.shape);
  const channels = init.inputs.shape[init.inputs.shape.length - 1];
  const barrier = new StepBarrier(init.barrier, worker.count);
  const slot = (parity: number, w: number): Float32Array => new Float32Array(init.gradients, 4 * alpha.size * (parity * worker.count + w), alpha.size);
  const summed = new Float32Array(alpha.size);
  const transform = unitTransform(work, unit.head, alpha);
  const unitOutput = unitForward(work, unit, init.quantizeOutput);
  const forward = (x: tf.Tensor): tf.Tensor => unitOutput(x, transform);

  /**
   * This worker's shard of one batch: its gradient into its slot, its share-weighted loss.
   * With a shift, the step's generator first skips the draws of the rows before the shard,
   * so that each row gets the shift a one-thread step gives it.
   */
  const shardGradient = (rows: Int32Array, mine: Float32Array, iteration: number): number => {
    const { start, size } = shardsOf(rows.length, worker.count)[worker.index];
    if (size === 0) {
      mine.fill(0);
      return 0;
    }
    const share = size / rows.length;
    const shifts = mulberry32(init.shiftSeed + iteration);
    if (init.shift) for (let i = 0; i < start * channels; i++) shifts();
    const { value, grad } = accumulated(Array.from(rows.subarray(start, start + size)), init.stepBatch, (own) => {
      const x = shiftedRows(inputs, own, init.shift, shifts);
      const { value: loss, grads } = tf.variableGrads(() => squaredEuclidean(forward(x), targets.gather(own)), [alpha]);
      return { value: loss, grad: grads[alpha.name] };
    });
    tf.tidy(() => mine.set(floatValues(tf.mul(grad, share))));
    grad.dispose();
    return value * share;
  };

  const step = (rows: Int32Array, lr: number, parity: number, iteration: number): number => {
    const loss = shardGradient(rows, slot(parity, worker.index), iteration);
    barrier.arrive();
    summed.set(slot(parity, 0));
    for (let w = 1; w < worker.count; w++) {
      const other = slot(parity, w);
      for (let i = 0; i < summed.length; i++) summed[i] += other[i];
    }
    tf.tidy(() => optimizer.step([tf.tensor(summed, alpha.shape)], lr));
    return loss;
  };

  return {
    call(kind, payload) {
      switch (kind) {
        case 'steps': {
          const { rows, batch, lr, first } = payload as UnitStepsCall;
          const losses: number[] = [];
          try {
            for (let s = 0; s * batch < rows.length; s++) losses.push(step(rows.subarray(s * batch, (s + 1) * batch), lr, s % 2, first + s));
          } catch (e) {
            barrier.fail();
            throw e;
          }
          return losses;
        }
        case 'score': {
          // Sum over this worker's rows of (rows x distance), per forward pass of scoreBatch rows.
          const { start, size } = shardsOf(scoredInputs.count, worker.count)[worker.index];
          let sum = 0;
          for (let s = start; s < start + size; s += init.scoreBatch) {
            const n = Math.min(init.scoreBatch, start + size - s);
            sum += n * tf.tidy(() => squaredEuclidean(forward(scoredInputs.slice(s, n)), targets.slice(s, n)).dataSync()[0]);
          }
          if (worker.index === 0) alphaShared.set(alpha.dataSync());
          return sum;
        }
        case 'reset': {
          tf.tidy(() => alpha.assign(tf.tensor(alphaShared, alpha.shape)));
          optimizer.dispose();
          optimizer = new Adam([alpha]);
          return null;
        }
        default:
          throw new Error(`unknown unit task call "${kind}"`);
      }
    },
    dispose() {
      optimizer.dispose();
      alpha.dispose();
      model.dispose();
    },
  };
}
