import type * as tf from '@tensorflow/tfjs-core';
import type { NodeTap } from '../ir/executor.js';
import type { GraphModel } from '../ir/graph-model.js';
import type { GraphNode } from '../ir/graph.js';
import type { CalibrationUnit } from '../ir/units.js';
import type { JsonObject } from '../io/folder/json.js';
import type { TaskModule } from '../parallel/task.js';

/** Affine quantization parameters of one tensor (per tensor: length 1; per channel: one per channel). */
export interface QuantParams {
  readonly bits: number;
  readonly qmin: number;
  readonly qmax: number;
  /** Channel axis for per-channel grids, null for per-tensor. */
  readonly axis: number | null;
  readonly scale: Float32Array;
  readonly zeroPoint: Float32Array;
}

/** What a quantizer observes: a node's weight or the activation at its input. */
export interface QuantTarget {
  readonly node: GraphNode;
  readonly kind: 'weight' | 'activation';
  /** The parameter name for weights. */
  readonly param?: string;
}

export interface QuantizeRun {
  readonly model: GraphModel;
  readonly quantizer: string;
}

export interface CalibrationRun {
  /** The full-precision model (BN folded when the quantizer folds). */
  readonly model: GraphModel;
  /** The model being corrected: quantized weights, possibly already corrected units. */
  readonly work: GraphModel;
  readonly defense: string;
  readonly units: readonly CalibrationUnit[];
  /** Augmentation plugins selected for this run (e.g. ['pda']). */
  readonly augmentations: readonly string[];
  /** Budget preset, e.g. 'paper' or 'fast'. */
  readonly preset: string;
  /** The run's --option overrides; an augmentation reads its own keys (e.g. 'pda.gamma'). */
  readonly options?: JsonObject;
}

export interface UnitContext {
  readonly run: CalibrationRun;
  readonly unit: CalibrationUnit;
  /**
   * Runs the unit alone on an input batch as the quantized model would, with the weights
   * rounded to nearest (no correction yet), calling `tap` on every node.
   */
  runUnit(input: tf.Tensor, tap?: NodeTap): tf.Tensor;
  /** The quantizer of the unit's input activation, null when the unit's input stays in full precision. */
  readonly inputQuant?: QuantParams | null;
  /**
   * With --threads N > 1: maps pieces of this unit's data (e.g. its cached inputs) on the
   * run's worker pool, a contiguous share per worker, each rebuilding the unit as `runUnit`
   * runs it and applying `task` (a module exporting a unitPieceTask) to every piece; the
   * results come back in the pieces' order. Absent on one thread.
   */
  readonly mapPieces?: (task: TaskModule, options: unknown, pieces: readonly tf.Tensor[]) => Promise<tf.Tensor[]>;
}

export interface UnitStep {
  readonly unit: CalibrationUnit;
  readonly step: number;
  readonly total: number;
  readonly loss?: number;
}

export interface UnitReport {
  readonly steps: number;
  readonly initialLoss?: number;
  readonly finalLoss?: number;
}

/** A named scalar loss; the loss stage sums `weight * value` over all terms. */
export interface LossTerm {
  readonly name: string;
  readonly value: tf.Scalar;
  readonly weight: number;
}

export interface LossContext {
  /** Who asks, e.g. 'lac:unit' or 'defense:nad'. */
  readonly stage: string;
  readonly model: GraphModel;
  readonly unit?: CalibrationUnit;
}

/** A training batch: images NHWC and integer labels. */
export interface Batch {
  readonly x: tf.Tensor4D;
  readonly y: tf.Tensor1D;
  /** Seeds what is random in a training step on this batch (dropout masks): set by epochBatches from (seed, epoch, step). */
  readonly seed?: number;
}

export interface BatchContext {
  /** Who trains on the batch, e.g. 'defense:nad'. */
  readonly consumer: string;
  /** The model being trained, as it is before this batch's step. */
  readonly model: GraphModel;
  readonly epoch: number;
  readonly step: number;
  /** The run's budget preset and --option overrides: an augmentation reads its own keys. */
  readonly preset: string;
  readonly options: JsonObject;
}
