import * as tf from '@tensorflow/tfjs-core';
import { smoothedCrossEntropy } from '../defense/training/label-smoothing.js';
import { Sam } from '../defense/training/sam.js';
import type { BnMode, SamSpec } from '../defense/training/spec.js';
import { GraphModel } from '../ir/graph-model.js';
import { createOptimizer, type OptimizerSpec, type SlotState } from '../train/optimizers/index.js';
import { crossEntropy } from '../train/train-step.js';
import { fromPortableGraph, type PortableGraph } from './portable-graph.js';
import { shardsOf } from './shards.js';
import type { ParallelTask } from './task.js';
import { floatValues } from './tensor-view.js';
import { WorkerBarrier } from './worker-barrier.js';

/** The loss a classifier task minimises: softmax cross-entropy, optionally smoothed, BN in either mode. */
export interface ClassifierLoss {
  /** Label smoothing (0: plain cross-entropy). */
  readonly labelSmoothing: number;
  readonly bn: BnMode;
  /** Sharpness-aware minimisation around the optimizer (null: plain steps). */
  readonly sam: SamSpec | null;
}

/** What each worker receives once (parallel-classifier.ts sends it). */
export interface ClassifierTaskInit {
  readonly graph: PortableGraph;
  /** `node/param` of the trained variables, in the optimizer's order. */
  readonly trained: readonly string[];
  /** `node/param` of the BN moving statistics a step updates (none when BN is in eval mode). */
  readonly running: readonly string[];
  readonly optimizer: OptimizerSpec;
  /** The optimizer's slots to start from, in its `state()` order (empty: fresh). */
  readonly slots: readonly SlotState[];
  readonly loss: ClassifierLoss;
  /** The batch: images (float32) then labels (as float32), written before each step. */
  readonly batch: SharedArrayBuffer;
  /** One image's shape. */
  readonly imageShape: readonly number[];
  /** One slot per worker and pass (two with SAM) of classifierSlotLength floats. */
  readonly gradients: SharedArrayBuffer;
  /** Every parameter in graph order: worker 0 writes them after every step, the caller before a 'load'. */
  readonly weights: SharedArrayBuffer;
  /** The workers' barrier (worker-barrier.ts). */
  readonly barrier: SharedArrayBuffer;
}

/** A step's request: the batch's size and the learning rate. */
export interface ClassifierStepCall {
  readonly count: number;
  readonly lr: number;
  /** A larger batch buffer replacing the last one (a batch above the size set up for). */
  readonly batch?: SharedArrayBuffer;
}

/** What worker 0 answers to 'slots': its optimizer's state. */
export type ClassifierSlotsReply = SlotState[];

/** Floats in one worker's slot: the gradient, the moving statistics, the loss. */
export function classifierSlotLength(gradient: number, running: number): number {
  return gradient + running + 1;
}

/**
 * The worker side of a data-parallel classification step, DDP-style: every worker holds a
 * replica of the model and of the optimizer, computes the gradient of its shard of the
 * batch, writes it to its slot in shared memory, waits at a barrier for the others, sums
 * the slots in worker order, each weighted by its shard's share of the batch, and applies
 * the same update to its replica. Every replica does the same float operations on the same
 * values, so they stay equal with no weights sent; the calling thread only writes the batch.
 * BN in training mode normalises with the shard's own statistics (ghost batch norm); the
 * moving statistics become the share-weighted mean of the shards'. With SAM the ascent is
 * computed from the summed first gradient, and the second pass has its own slots, so that
 * no worker overwrites a slot another is still summing. The caller awaits every worker
 * before the next step, which keeps a step's slots from being written by the next one.
 */
export async function createClassifierTask(raw: unknown, shard: { readonly index: number; readonly count: number }): Promise<ParallelTask> {
  const init = raw as ClassifierTaskInit;
  const model = new GraphModel(fromPortableGraph(init.graph));
  const variable = (key: string): tf.Variable => {
    const cut = key.lastIndexOf('/');
    return model.node(key.slice(0, cut)).params[key.slice(cut + 1)];
  };
  const trained = init.trained.map(variable);
  const running = init.running.map(variable);
  const optimizer = createOptimizer(init.optimizer, trained);
  if (init.slots.length > 0) optimizer.loadState(slotsNamedAs(init.slots, await optimizer.state()));
  const sam = init.loss.sam ? new Sam(optimizer, init.loss.sam) : null;
  const barrier = new WorkerBarrier(init.barrier, shard.count);
  const gradientLength = trained.reduce((n, v) => n + v.size, 0);
  const runningLength = running.reduce((n, v) => n + v.size, 0);
  const slotLength = classifierSlotLength(gradientLength, runningLength);
  const lossAt = slotLength - 1;
  const slotOf = (pass: number, worker: number): Float32Array => new Float32Array(init.gradients, 4 * slotLength * (pass * shard.count + worker), slotLength);
  const summed = new Float32Array(slotLength);
  const weights = new Float32Array(init.weights);
  const imageSize = init.imageShape.reduce((a, b) => a * b, 1);
  let batch = init.batch;
  const training = init.loss.bn === 'train';

  const shardLoss = (x: tf.Tensor, y: tf.Tensor1D, perturbed: boolean): tf.Scalar => {
    const logits = model.predict(x, { training, updateStats: training && !perturbed });
    return init.loss.labelSmoothing > 0 ? smoothedCrossEntropy(logits, y, init.loss.labelSmoothing) : crossEntropy(logits, y);
  };

  /** This worker's gradient (and, on the first pass, moving statistics and loss) into its slot of `pass`. */
  const writeShard = (pass: number, count: number, perturbed: boolean): void => {
    const { start, size } = shardsOf(count, shard.count)[shard.index];
    if (size === 0) return;
    const slot = slotOf(pass, shard.index);
    tf.tidy(() => {
      const x = tf.tensor(new Float32Array(batch, 4 * start * imageSize, size * imageSize), [size, ...init.imageShape]);
      const y = tf.tensor1d(new Float32Array(batch, 4 * (count * imageSize + start), size), 'int32');
      const { value, grads } = tf.variableGrads(() => shardLoss(x, y, perturbed), trained);
      let offset = 0;
      for (const v of trained) {
        const g = grads[v.name];
        if (g) slot.set(floatValues(g), offset);
        else slot.fill(0, offset, offset + v.size);
        offset += v.size;
      }
      if (!perturbed) {
        for (const v of running) {
          slot.set(floatValues(v), offset);
          offset += v.size;
        }
        slot[lossAt] = floatValues(value)[0];
      }
    });
  };

  /** Every worker's slot of `pass`, weighted by its share of the batch, summed in worker order into `summed`. */
  const sumSlots = (pass: number, count: number): void => {
    const shards = shardsOf(count, shard.count);
    summed.fill(0);
    for (let w = 0; w < shard.count; w++) {
      if (shards[w].size === 0) continue;
      const share = shards[w].size / count;
      const slot = slotOf(pass, w);
      for (let i = 0; i < slotLength; i++) summed[i] += share * slot[i];
    }
  };

  const summedTensors = (from: number, vars: readonly tf.Variable[]): tf.Tensor[] => {
    let at = from;
    return vars.map((v) => {
      const t = tf.tensor(summed.subarray(at, at + v.size), v.shape);
      at += v.size;
      return t;
    });
  };

  /** One step; a failure releases the other workers from the barrier. */
  const step = ({ count, lr, batch: grown }: ClassifierStepCall): number => {
    if (grown) batch = grown;
    try {
      writeShard(0, count, false);
      barrier.arrive();
      sumSlots(0, count);
      const loss = summed[lossAt];
      const statistics = summedTensors(gradientLength, running);
      tf.tidy(() => {
        const first = summedTensors(0, trained);
        if (sam) {
          const e = sam.ascent(trained, first);
          // clone shares the data, so the restore below is exact (no w + e - e rounding).
          const saved = trained.map((v) => tf.clone(v));
          trained.forEach((v, i) => v.assign(tf.add(v, e[i])));
          try {
            writeShard(1, count, true);
            barrier.arrive();
          } finally {
            trained.forEach((v, i) => v.assign(saved[i]));
          }
          sumSlots(1, count);
          optimizer.step(summedTensors(0, trained), lr);
        } else {
          optimizer.step(first, lr);
        }
      });
      running.forEach((v, i) => v.assign(statistics[i]));
      tf.dispose(statistics);
      if (shard.index === 0) publish();
      return loss;
    } catch (e) {
      barrier.fail();
      throw e;
    }
  };

  const all = model.graph.nodes.flatMap((n) => Object.values(n.params));
  /** Every parameter, in graph order, into the shared weights. */
  const publish = (): void => {
    let offset = 0;
    for (const v of all) {
      weights.set(floatValues(v), offset);
      offset += v.size;
    }
  };
  const load = (): void => {
    let offset = 0;
    for (const v of all) {
      const values = tf.tensor(weights.subarray(offset, offset + v.size), v.shape);
      v.assign(values);
      values.dispose();
      offset += v.size;
    }
  };

  return {
    call(kind, payload) {
      switch (kind) {
        case 'step':
          return step(payload as ClassifierStepCall);
        case 'load':
          load();
          return null;
        case 'slots':
          return optimizer.state();
        default:
          throw new Error(`unknown classifier task call "${kind}"`);
      }
    },
    dispose() {
      optimizer.dispose();
      model.dispose();
    },
  };
}

/**
 * `slots` under the names of `own` (another optimizer's state): two optimizers of one kind
 * built over the same variables in the same order list their slots in the same order,
 * whatever keys name them.
 */
export function slotsNamedAs(slots: readonly SlotState[], own: readonly SlotState[]): SlotState[] {
  if (slots.length !== own.length) throw new Error(`optimizer state of ${slots.length} slots for an optimizer of ${own.length}`);
  return slots.map((s, i) => ({ ...s, name: own[i].name }));
}
