import * as tf from '@tensorflow/tfjs-core';
import { smoothedCrossEntropy } from '../defense/training/label-smoothing.js';
import { Sam } from '../defense/training/sam.js';
import type { BnMode, SamSpec } from '../defense/training/spec.js';
import type { GraphModel } from '../ir/graph-model.js';
import type { Optimizer, SlotState } from '../train/optimizers/index.js';
import { crossEntropy } from '../train/train-step.js';
import { shardsOf } from './shards.js';
import { assignValues, floatValues } from '../util/float-values.js';

/** The loss a data-parallel classifier minimises: softmax cross-entropy, optionally smoothed, BN in either mode. */
export interface ClassifierLoss {
  /** Label smoothing (0: plain cross-entropy). */
  readonly labelSmoothing: number;
  readonly bn: BnMode;
  /** Sharpness-aware minimisation around the optimizer (null: plain steps). */
  readonly sam: SamSpec | null;
}

/** The shared memory every participant of a data-parallel classifier reads and writes. */
export interface ClassifierBuffers {
  /** The batch: images (float32) then labels (as float32), written by the calling thread before each step. */
  readonly batch: SharedArrayBuffer;
  /** One slot per participant and pass (two with SAM) of classifierSlotLength floats. */
  readonly gradients: SharedArrayBuffer;
  /** Every parameter in graph order, written by the calling thread before a 'load'. */
  readonly weights: SharedArrayBuffer;
}

/** Floats in one participant's slot: the gradient, the moving statistics, the loss. */
export function classifierSlotLength(gradient: number, running: number): number {
  return gradient + running + 1;
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

/** Where a participant stands: its index among `count` (the calling thread is 0, worker i is i + 1). */
export interface Participant {
  readonly index: number;
  readonly count: number;
  /** Returns once every participant has arrived as often (worker-barrier.ts). */
  readonly arrive: () => void | Promise<void>;
}

/**
 * One participant's part of a data-parallel classification step, DDP-style: the gradient of
 * its shard of the batch into its slot, a barrier, the slots of every participant summed in
 * participant order (each weighted by its shard's share of the batch), and the same update
 * applied by every participant to its own replica of the model and optimizer. Each does the
 * same float operations on the same values, so the replicas stay equal without sending
 * weights. BN in training mode normalises with the shard's own statistics (ghost batch norm);
 * the moving statistics become the share-weighted mean of the shards'. With SAM the ascent is
 * computed from the summed first gradient, and the second pass has slots of its own, so that
 * nobody overwrites a slot another is still summing; the calling thread awaits every worker
 * before the next step, which keeps one step's slots from the next one's writes.
 */
export class ClassifierShardStep {
  private readonly sam: Sam | null;
  private readonly gradientLength: number;
  private readonly slotLength: number;
  private readonly summed: Float32Array;
  private readonly imageSize: number;
  private readonly params: readonly tf.Variable[];
  private batch: SharedArrayBuffer;

  constructor(
    private readonly model: GraphModel,
    private readonly optimizer: Optimizer,
    /** The BN moving statistics a step updates (none when BN is in eval mode). */
    private readonly running: readonly tf.Variable[],
    private readonly loss: ClassifierLoss,
    private readonly buffers: ClassifierBuffers,
    private readonly me: Participant,
  ) {
    this.sam = loss.sam ? new Sam(optimizer, loss.sam) : null;
    this.gradientLength = optimizer.variables.reduce((n, v) => n + v.size, 0);
    this.slotLength = classifierSlotLength(this.gradientLength, running.reduce((n, v) => n + v.size, 0));
    this.summed = new Float32Array(this.slotLength);
    this.imageSize = model.inputShape.reduce((a, b) => a * b, 1);
    this.params = model.graph.nodes.flatMap((n) => Object.values(n.params));
    this.batch = buffers.batch;
  }

  /** A larger batch buffer replacing the last one. */
  useBatch(batch: SharedArrayBuffer): void {
    this.batch = batch;
  }

  /** One step on the first `count` images of the shared batch; returns the batch loss at the weights before it. */
  async step(count: number, lr: number): Promise<number> {
    this.writeShard(0, count, false);
    await this.me.arrive();
    this.sumSlots(0, count);
    const loss = this.summed[this.slotLength - 1];
    if (this.sam) await this.perturbedGradient(count);
    this.optimizer.stepFlat(this.summed, lr);
    let at = this.gradientLength;
    for (const v of this.running) {
      assignValues(v, this.summed.subarray(at, at + v.size));
      at += v.size;
    }
    return loss;
  }

  /**
   * SAM's second gradient, summed over the participants into `summed` in place of the first:
   * at w + e, e the ascent from the first summed gradient; w restored exactly after.
   */
  private async perturbedGradient(count: number): Promise<void> {
    const trained = this.optimizer.variables;
    const e = tf.tidy(() => {
      let at = 0;
      const first = trained.map((v) => {
        const g = tf.tensor(this.summed.subarray(at, at + v.size), v.shape);
        at += v.size;
        return g;
      });
      return this.sam!.ascent(trained, first);
    });
    // clone shares the data, so the restore below is exact (no w + e - e rounding).
    const saved = trained.map((v) => tf.clone(v));
    try {
      trained.forEach((v, i) => {
        const moved = tf.add(v, e[i]);
        v.assign(moved);
        moved.dispose();
      });
      this.writeShard(1, count, true);
      await this.me.arrive();
    } finally {
      trained.forEach((v, i) => v.assign(saved[i]));
      tf.dispose([...saved, ...e]);
    }
    const statistics = this.summed.slice(this.gradientLength);
    this.sumSlots(1, count);
    // The moving statistics and the loss are the first pass's.
    this.summed.set(statistics, this.gradientLength);
  }

  /** Every parameter of the model, in graph order, from the shared weights. */
  loadWeights(): void {
    const weights = new Float32Array(this.buffers.weights);
    let offset = 0;
    for (const v of this.params) {
      const values = tf.tensor(weights.subarray(offset, offset + v.size), v.shape);
      v.assign(values);
      values.dispose();
      offset += v.size;
    }
  }

  /** Every parameter of the model, in graph order, into the shared weights. */
  storeWeights(): void {
    const weights = new Float32Array(this.buffers.weights);
    let offset = 0;
    for (const v of this.params) {
      weights.set(floatValues(v), offset);
      offset += v.size;
    }
  }

  private slot(pass: number, participant: number): Float32Array {
    return new Float32Array(this.buffers.gradients, 4 * this.slotLength * (pass * this.me.count + participant), this.slotLength);
  }

  private shardLoss(x: tf.Tensor, y: tf.Tensor1D, perturbed: boolean): tf.Scalar {
    const training = this.loss.bn === 'train';
    const logits = this.model.predict(x, { training, updateStats: training && !perturbed });
    return this.loss.labelSmoothing > 0 ? smoothedCrossEntropy(logits, y, this.loss.labelSmoothing) : crossEntropy(logits, y);
  }

  /** This participant's gradient (and, on the first pass, moving statistics and loss) into its slot of `pass`. */
  private writeShard(pass: number, count: number, perturbed: boolean): void {
    const { start, size } = shardsOf(count, this.me.count)[this.me.index];
    if (size === 0) return;
    const slot = this.slot(pass, this.me.index);
    const shape = this.model.inputShape;
    tf.tidy(() => {
      const x = tf.tensor(new Float32Array(this.batch, 4 * start * this.imageSize, size * this.imageSize), [size, ...shape]);
      const y = tf.tensor1d(new Float32Array(this.batch, 4 * (count * this.imageSize + start), size), 'int32');
      const { value, grads } = tf.variableGrads(() => this.shardLoss(x, y, perturbed), [...this.optimizer.variables]);
      let offset = 0;
      for (const v of this.optimizer.variables) {
        const g = grads[v.name];
        if (g) slot.set(floatValues(g), offset);
        else slot.fill(0, offset, offset + v.size);
        offset += v.size;
      }
      if (!perturbed) {
        for (const v of this.running) {
          slot.set(floatValues(v), offset);
          offset += v.size;
        }
        slot[this.slotLength - 1] = floatValues(value)[0];
      }
    });
  }

  /** Every participant's slot of `pass`, weighted by its share of the batch, summed in participant order. */
  private sumSlots(pass: number, count: number): void {
    const shards = shardsOf(count, this.me.count);
    const summed = this.summed;
    summed.fill(0);
    for (let p = 0; p < this.me.count; p++) {
      if (shards[p].size === 0) continue;
      const share = shards[p].size / count;
      const slot = this.slot(pass, p);
      for (let i = 0; i < summed.length; i++) summed[i] += share * slot[i];
    }
  }
}
