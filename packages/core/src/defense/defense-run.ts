import type * as tf from '@tensorflow/tfjs-core';
import { AsyncSeriesHook, AsyncSeriesWaterfallHook, SyncHook, SyncWaterfallHook } from 'tapable';
import type { GraphModel } from '../ir/graph-model.js';
import type { JsonObject } from '../io/folder/index.js';
import type { Engine } from '../kernel/engine.js';
import type {
  Batch, BatchContext, CalibrationRun, LossContext, LossTerm, UnitContext, UnitReport, UnitStep,
} from '../kernel/hook-types.js';
import type { QuantizerProfile } from '../quant/profile.js';
import type { QuantizedModel } from '../quant/quantized-model.js';
import type { Preset } from './defense-plugin.js';

/** What the model stage's taps see beside the model: the deployment target and the defender's calibration data. */
export interface ModelPrepareContext {
  readonly profile: QuantizerProfile;
  /** The naive quantization of the received model for `profile` (the undefended baseline). */
  readonly quantized: QuantizedModel;
  /** The defender's normalised calibration batches that `quantized` was calibrated on. */
  readonly calibration: readonly tf.Tensor4D[];
}

/**
 * The hooks of one purification run, by stage. A run gets fresh ones, so that only the
 * augmentations the run selected are tapped into them (webpack's compilation hooks, where
 * the engine's are the compiler's).
 */
export interface DefenseRunHooks {
  readonly model: Readonly<{
    /**
     * Waterfall over the full-precision model the defense starts from, before it is quantized
     * for the defense: a tap returns the model unchanged or a new one that computes the same
     * function (outlier equalization taps here). The runner disposes a returned new model.
     */
    prepare: AsyncSeriesWaterfallHook<[GraphModel, ModelPrepareContext]>;
  }>;
  readonly calibration: Readonly<{
    runStart: AsyncSeriesHook<[CalibrationRun]>;
    unitStart: AsyncSeriesHook<[UnitContext]>;
    /** Waterfall over the cached input batches of one unit (PDA taps here with LAC). */
    unitInputs: AsyncSeriesWaterfallHook<[tf.Tensor[], UnitContext]>;
    step: SyncHook<[UnitStep]>;
    unitDone: AsyncSeriesHook<[UnitContext, UnitReport]>;
    runDone: AsyncSeriesHook<[CalibrationRun]>;
  }>;
  readonly loss: Readonly<{
    /** Waterfall collecting named loss terms; runs inside gradient computation, so sync. */
    terms: SyncWaterfallHook<[LossTerm[], LossContext]>;
  }>;
  readonly data: Readonly<{
    /** Waterfall over every training batch of a training defense (PDA taps here with NAD, FT-SAM, FT). */
    batch: AsyncSeriesWaterfallHook<[Batch, BatchContext]>;
  }>;
}

/** What a run was asked for: the defense, the selected augmentations and the budget. */
export interface DefenseRunSettings {
  readonly defense: string;
  /** Augmentation plugins selected with --augment, applied to this run only. */
  readonly augmentations: readonly string[];
  readonly preset: Preset;
  /** The run's --option overrides; each plugin reads its own keys. */
  readonly options: JsonObject;
  readonly seed: number;
  /** Prints a one-line remark for the user (the run's progress notes), e.g. what an augmentation skipped and why. */
  readonly note?: (line: string) => void;
}

/** One purification run: its settings and its hooks. */
export interface DefenseRun extends DefenseRunSettings {
  readonly hooks: DefenseRunHooks;
}

export function createDefenseRunHooks(): DefenseRunHooks {
  return Object.freeze({
    model: Object.freeze({
      prepare: new AsyncSeriesWaterfallHook<[GraphModel, ModelPrepareContext]>(['model', 'context']),
    }),
    calibration: Object.freeze({
      runStart: new AsyncSeriesHook<[CalibrationRun]>(['run']),
      unitStart: new AsyncSeriesHook<[UnitContext]>(['unit']),
      unitInputs: new AsyncSeriesWaterfallHook<[tf.Tensor[], UnitContext]>(['inputs', 'unit']),
      step: new SyncHook<[UnitStep]>(['step']),
      unitDone: new AsyncSeriesHook<[UnitContext, UnitReport]>(['unit', 'report']),
      runDone: new AsyncSeriesHook<[CalibrationRun]>(['run']),
    }),
    loss: Object.freeze({
      terms: new SyncWaterfallHook<[LossTerm[], LossContext]>(['terms', 'context']),
    }),
    data: Object.freeze({
      batch: new AsyncSeriesWaterfallHook<[Batch, BatchContext]>(['batch', 'context']),
    }),
  });
}

/**
 * Starts a run: fresh hooks, each selected augmentation applied to them (an unknown name is
 * an E_PLUGIN error that lists the registered ones), then `engine.hooks.defense.run` so that
 * any other plugin can tap the run's hooks.
 */
export function startDefenseRun(engine: Engine, settings: DefenseRunSettings): DefenseRun {
  const augmentations = settings.augmentations.map((name) => engine.plugin('augmentation', name));
  const run: DefenseRun = Object.freeze({ ...settings, augmentations: [...settings.augmentations], hooks: createDefenseRunHooks() });
  for (const a of augmentations) a.applyToRun(run);
  engine.hooks.defense.run.call(run);
  return run;
}
