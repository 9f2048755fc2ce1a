import * as tf from '@tensorflow/tfjs-core';
import { ownTerms, weightedSum } from '../defense/training/batch-loss.js';
import { Sam } from '../defense/training/sam.js';
import type { BatchTerms, BnMode, ExtraLoss, PortableExtraLoss, SamSpec } from '../defense/training/spec.js';
import type { GraphModel } from '../ir/graph-model.js';
import type { Batch } from '../kernel/hook-types.js';
import type { Optimizer, SlotState } from '../train/optimizers/index.js';
import { mixSeeds } from '../data/random.js';
import { shardsOf, type Shard } from './shards.js';
import { assignValues, floatValues } from '../util/float-values.js';

/**
 * The loss a data-parallel classifier minimises: softmax cross-entropy, optionally
 * smoothed, BN in either mode, plus a defense's extra terms that every worker can build.
 */
export interface ClassifierLoss {
  /** Label smoothing (0: plain cross-entropy). */
  readonly labelSmoothing: number;
  readonly bn: BnMode;
  /** Sharpness-aware minimisation around the optimizer (null: plain steps). */
  readonly sam: SamSpec | null;
  /** Extra terms (e.g. NAD's attention distillation) as the workers rebuild them (null: none). */
  readonly extra: PortableExtraLoss | null;
  /**
   * Rows that stay together (default 1): a batch composed shard by shard (an attack's
   * clean images then their triggered copies, per shard: composedPerShard) is split at
   * multiples of this, so that each participant's shard is one composed block.
   */
  readonly group?: number;
}

/** The shards of a batch of `count` rows over `parts` participants, at multiples of `group` rows. */
export function groupedShards(count: number, parts: number, group = 1): Shard[] {
  if (count % group !== 0) throw new Error(`a batch of ${count} rows is not whole groups of ${group}`);
  return shardsOf(count / group, parts).map(({ start, size }) => ({ start: start * group, size: size * group }));
}

/** A data-parallel step's batch loss and its terms (unweighted), at the weights before the step. */
export interface ClassifierStepResult {
  readonly loss: number;
  readonly terms: Readonly<Record<string, number>>;
}

/** The names of a classifier loss's terms, in the order a slot holds their values. */
export function classifierTermNames(loss: Pick<ClassifierLoss, 'extra'>): string[] {
  if (loss.extra?.replacesCrossEntropy) return [...loss.extra.terms];
  return ['ce', ...(loss.extra?.terms ?? [])];
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

/** Floats in one participant's slot: the gradient, the moving statistics, the loss, each term's value. */
export function classifierSlotLength(gradient: number, running: number, terms: number): number {
  return gradient + running + 1 + terms;
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
 * before the next step, which keeps one step's slots from the next one's writes. Extra
 * terms are computed on each shard (a teacher's forward pass included) and, like the loss,
 * reported as the share-weighted mean of the shards'.
 */
export class ClassifierShardStep {
  private readonly sam: Sam | null;
  private readonly gradientLength: number;
  private readonly slotLength: number;
  private readonly summed: Float32Array;
  private readonly imageSize: number;
  private readonly params: readonly tf.Variable[];
  private readonly termNames: readonly string[];
  private batch: SharedArrayBuffer;

  constructor(
    private readonly model: GraphModel,
    /** The variables the gradient is taken of, in slot order. */
    private readonly trained: readonly tf.Variable[],
    /** Updates `trained` after each step; null for a participant that only computes gradients. */
    private readonly optimizer: Optimizer | null,
    /** The BN moving statistics a step updates (none when BN is in eval mode). */
    private readonly running: readonly tf.Variable[],
    private readonly loss: ClassifierLoss,
    private readonly buffers: ClassifierBuffers,
    private readonly me: Participant,
    /** This thread's instance of `loss.extra` (required with it). */
    private readonly extraLoss: ExtraLoss | null = null,
  ) {
    if (loss.extra && !extraLoss) throw new Error('a classifier loss with extra terms needs their ExtraLoss on every participant');
    if (loss.sam && !optimizer) throw new Error('SAM needs the optimizer on every participant');
    this.sam = loss.sam && optimizer ? new Sam(optimizer, loss.sam) : null;
    this.termNames = classifierTermNames(loss);
    this.gradientLength = trained.reduce((n, v) => n + v.size, 0);
    this.slotLength = classifierSlotLength(this.gradientLength, running.reduce((n, v) => n + v.size, 0), this.termNames.length);
    this.summed = new Float32Array(this.slotLength);
    this.imageSize = model.inputShape.reduce((a, b) => a * b, 1);
    this.params = model.graph.nodes.flatMap((n) => Object.values(n.params));
    this.batch = buffers.batch;
  }

  /** A larger batch buffer replacing the last one. */
  useBatch(batch: SharedArrayBuffer): void {
    this.batch = batch;
  }

  /**
   * One step on the first `count` images of the shared batch; returns the batch loss and
   * terms at the weights before it. `seed` (the batch's) seeds this participant's dropout.
   */
  async step(count: number, lr: number, seed?: number): Promise<ClassifierStepResult> {
    if (!this.optimizer) throw new Error('this participant computes gradients only');
    const optimizer = this.optimizer;
    return this.summedPass(count, seed, async (shard, extra) => {
      if (this.sam) await this.perturbedGradient(count, shard, extra);
      optimizer.stepFlat(this.summed, lr);
    });
  }

  /**
   * The gradient of the first `count` images of the shared batch, summed over the
   * participants into `gradient()`, the moving statistics set as a step sets them; nothing
   * is updated. Returns the batch loss and terms.
   */
  gradientOf(count: number, seed?: number): Promise<ClassifierStepResult> {
    if (this.sam) throw new Error('a SAM step has no single gradient');
    return this.summedPass(count, seed, () => undefined);
  }

  /** The summed gradient of the last pass, in the order of the trained variables (a view, overwritten by the next). */
  gradient(): Float32Array {
    return this.summed.subarray(0, this.gradientLength);
  }

  /** Every participant's shard gradient summed, `update` run, the moving statistics set; the first pass's loss and terms. */
  private async summedPass(count: number, seed: number | undefined, update: (shard: Batch | null, extra: BatchTerms | null) => void | Promise<void>): Promise<ClassifierStepResult> {
    this.model.seedDropout(seed === undefined ? null : mixSeeds(seed, this.me.index));
    const shard = this.shardBatch(count);
    let extra: BatchTerms | null = null;
    try {
      extra = shard && this.extraLoss ? this.extraLoss.forBatch(shard) : null;
      this.writeShard(0, shard, extra, false);
      await this.me.arrive();
      this.sumSlots(0, count);
      const at = this.slotLength - 1 - this.termNames.length;
      const loss = this.summed[at];
      const terms = Object.fromEntries(this.termNames.map((name, i) => [name, this.summed[at + 1 + i]]));
      await update(shard, extra);
      let offset = this.gradientLength;
      for (const v of this.running) {
        assignValues(v, this.summed.subarray(offset, offset + v.size));
        offset += v.size;
      }
      return { loss, terms };
    } finally {
      extra?.dispose();
      if (shard) tf.dispose([shard.x, shard.y]);
    }
  }

  /**
   * SAM's second gradient, summed over the participants into `summed` in place of the first:
   * at w + e, e the ascent from the first summed gradient; w restored exactly after.
   */
  private async perturbedGradient(count: number, shard: Batch | null, extra: BatchTerms | null): Promise<void> {
    const trained = this.trained;
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
      this.writeShard(1, shard, extra, true);
      await this.me.arrive();
    } finally {
      trained.forEach((v, i) => v.assign(saved[i]));
      tf.dispose([...saved, ...e]);
    }
    const statistics = this.summed.slice(this.gradientLength);
    this.sumSlots(1, count);
    // The moving statistics, the loss and the terms are the first pass's.
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

  /** This participant's rows of the shared batch as tensors (null when its shard is empty). */
  private shardBatch(count: number): Batch | null {
    const { start, size } = groupedShards(count, this.me.count, this.loss.group)[this.me.index];
    if (size === 0) return null;
    return {
      x: tf.tensor4d(new Float32Array(this.batch, 4 * start * this.imageSize, size * this.imageSize), [size, ...this.model.inputShape] as [number, number, number, number]),
      y: tf.tensor1d(new Float32Array(this.batch, 4 * (count * this.imageSize + start), size), 'int32'),
    };
  }

  /** This participant's gradient (and, on the first pass, moving statistics, loss and terms) into its slot of `pass`. */
  private writeShard(pass: number, shard: Batch | null, extra: BatchTerms | null, perturbed: boolean): void {
    if (!shard) return;
    const slot = this.slot(pass, this.me.index);
    const setup = { model: this.model, bn: this.loss.bn, labelSmoothing: this.loss.labelSmoothing, ...(this.extraLoss ? { extraLoss: this.extraLoss } : {}) };
    tf.tidy(() => {
      let values: tf.Tensor | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const terms = ownTerms(setup, shard, extra, perturbed);
        // Kept past the gradient's scope: read and released below.
        if (!perturbed) values = tf.keep(tf.stack(terms.map((t) => t.value)));
        return weightedSum(terms);
      }, [...this.trained]);
      let offset = 0;
      for (const v of this.trained) {
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
        slot[offset] = floatValues(value)[0];
        slot.set(floatValues(values!), offset + 1);
        values!.dispose();
      }
    });
  }

  /** Every participant's slot of `pass`, weighted by its share of the batch, summed in participant order. */
  private sumSlots(pass: number, count: number): void {
    const shards = groupedShards(count, this.me.count, this.loss.group);
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
