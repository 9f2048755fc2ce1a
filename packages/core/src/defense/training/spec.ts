import type * as tf from '@tensorflow/tfjs-core';
import type { ImageSet } from '../../data/image-set.js';
import type { GraphModel } from '../../ir/graph-model.js';
import type { BatchStats } from '../../ir/op-def.js';
import type { Batch, LossTerm } from '../../kernel/hook-types.js';
import type { TaskModule } from '../../parallel/task.js';
import type { AugmentSpec } from '../../train/augment.js';
import type { OptimizerSpec, SlotState } from '../../train/optimizers/index.js';
import type { ScheduleSpec } from '../../train/schedules.js';
import type { DefenseContext } from '../defense-plugin.js';

/**
 * A defense context that may name the dataset's training augmentation (random crop, flip).
 * The runner sets it from the dataset; a context without it trains without augmentation.
 */
export type TrainingDefenseContext = DefenseContext;

/**
 * 'train': BN normalises with the batch's statistics and updates its moving statistics
 * (PyTorch's model.train()); 'eval': BN uses its moving statistics, nothing is updated.
 */
export type BnMode = 'train' | 'eval';

/** Sharpness-aware minimisation (Foret et al. 2021); adaptive: ASAM (Kwon et al. 2021). */
export interface SamSpec {
  /** Radius of the weight perturbation. */
  readonly rho: number;
  /** Scale the perturbation by |w| element-wise (default true, as BackdoorBench's FT-SAM). */
  readonly adaptive?: boolean;
}

/** The extra loss of one batch: terms read from the training forward pass's node outputs. */
export interface BatchTerms {
  /**
   * Runs under gradient recording; `features` holds the outputs of `ExtraLoss.nodes`, and
   * `batchStats` each BN node's batch statistics in that pass when `ExtraLoss.batchStats` is set.
   */
  terms(features: ReadonlyMap<string, tf.Tensor>, batchStats: ReadonlyMap<string, BatchStats>): LossTerm[];
  /** Releases what `forBatch` prepared (e.g. a teacher's outputs). */
  dispose(): void;
}

/** Extra named loss terms (e.g. NAD's attention distillation), added to the cross-entropy. */
export interface ExtraLoss {
  /** Nodes of the trained model whose outputs the terms read (captured in the same forward pass). */
  readonly nodes: readonly string[];
  /**
   * Record each BN node's batch statistics in the training pass for `terms` (e.g. a
   * quantized branch that normalises with the full-precision branch's, as CompArtifact's).
   */
  readonly batchStats?: boolean;
  /**
   * The terms are the whole loss: no cross-entropy, and no training pass is run for them
   * (their own forward passes read the batch; `features` and `batchStats` are empty).
   */
  readonly replacesCrossEntropy?: boolean;
  /** Called once per batch before the step, outside gradient recording. */
  forBatch(batch: Batch): BatchTerms;
  /**
   * How a pool worker builds the same loss on its own engine, so that the phase can run
   * data-parallel under --threads; without it the phase runs on the calling thread.
   */
  readonly portable?: () => PortableExtraLoss;
}

/**
 * An ExtraLoss as a worker thread receives it: a compiled module exporting an
 * `ExtraLossFactory`, the structured-clonable data it builds the loss from (a teacher as
 * a PortableGraph, say), and the names of the terms the loss returns, in order.
 */
export interface PortableExtraLoss {
  readonly module: TaskModule;
  readonly init: unknown;
  readonly terms: readonly string[];
  /** The ExtraLoss's own flag (ParallelClassifier copies it). */
  readonly replacesCrossEntropy?: boolean;
}

/** A worker's copy of an ExtraLoss and what releases it (e.g. the teacher it built). */
export interface WorkerExtraLoss {
  readonly loss: ExtraLoss;
  dispose(): void;
}

/** Builds a worker's copy from the portable init; `model` is the worker's replica of the trained model. */
export type ExtraLossFactory = (init: unknown, model: GraphModel) => WorkerExtraLoss | Promise<WorkerExtraLoss>;

/** Where a training defense stopped: read from `ctx.checkpoint` by `loadTrainingResume`. */
export interface TrainingResume {
  /** The phase the checkpoint was saved in and the epochs done in it. */
  readonly phase: string;
  readonly epoch: number;
  /** Epochs done over the whole run (the checkpoint's `done`). */
  readonly done: number;
  /** The model of that phase after `epoch` epochs. */
  readonly model: GraphModel;
  readonly slots: readonly SlotState[];
}

/** One training phase of a defense. */
export interface DefenseTrainingSpec {
  /** The defense's name: the batch hook's consumer and the loss stage are `defense:<name>`. */
  readonly defense: string;
  /** Recorded in checkpoints, e.g. 'finetune', 'teacher', 'student'. */
  readonly phase: string;
  readonly epochs: number;
  /** Images per step (default `defaultBatchSize`); never more than the data holds. */
  readonly batchSize?: number;
  readonly optimizer: OptimizerSpec;
  readonly schedule: ScheduleSpec;
  /** Label smoothing of the cross-entropy (0: plain). */
  readonly labelSmoothing?: number;
  readonly sam?: SamSpec;
  readonly extraLoss?: ExtraLoss;
  /** Default 'train'. */
  readonly bn?: BnMode;
  /** Default: the context's `augmentation` (the dataset's), null: none. */
  readonly augment?: AugmentSpec | null;
  /** Default: `ctx.data`, the defender's labelled share. */
  readonly data?: ImageSet;
  /** Default `ctx.seed`: batch order and augmentation. */
  readonly seed?: number;
  /** Epochs of earlier phases, added to the checkpoint's `done` (default 0). */
  readonly epochOffset?: number;
  /** Save a checkpoint at every epoch end (default true). */
  readonly checkpoints?: boolean;
  /** Continue from here when its phase is this phase (the model must be `resume.model`). */
  readonly resume?: TrainingResume | null;
  /**
   * Called after every update with the trained model, outside gradient recording and before
   * the epoch's checkpoint (e.g. fine-pruning re-applies its mask so pruned weights stay 0).
   */
  readonly afterStep?: (model: GraphModel) => void;
}

/** The mean loss and terms of one epoch. */
export interface TrainingEpochReport {
  readonly phase: string;
  readonly epoch: number;
  readonly loss: number;
  /** Mean of each loss term by name (before weighting). */
  readonly terms: Readonly<Record<string, number>>;
}

export interface DefenseTrainingReport {
  readonly batchSize: number;
  readonly stepsPerEpoch: number;
  /** The epochs this call ran (a resumed phase skips those already done). */
  readonly epochs: readonly TrainingEpochReport[];
}
