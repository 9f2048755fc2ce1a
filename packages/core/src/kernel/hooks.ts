import type * as tf from '@tensorflow/tfjs-core';
import { AsyncSeriesHook, AsyncSeriesWaterfallHook, SyncHook, SyncWaterfallHook } from 'tapable';
import type {
  Batch, BatchContext, CalibrationRun, LossContext, LossTerm, QuantParams, QuantTarget, QuantizeRun,
  UnitContext, UnitReport, UnitStep,
} from './hook-types.js';

/** The engine's hooks, by stage (DESIGN.md). Created once per engine, then frozen. */
export interface EngineHooks {
  readonly quantizer: Readonly<{
    /** Waterfall over the quant params chosen for one weight or activation. */
    observeRanges: SyncWaterfallHook<[QuantParams, QuantTarget]>;
    beforeQuantize: AsyncSeriesHook<[QuantizeRun]>;
    afterQuantize: AsyncSeriesHook<[QuantizeRun]>;
  }>;
  readonly calibration: Readonly<{
    runStart: AsyncSeriesHook<[CalibrationRun]>;
    unitStart: AsyncSeriesHook<[UnitContext]>;
    /** Waterfall over the cached input batches of one unit (PDA taps here). */
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
    /** Waterfall over a training batch (PDA taps here as an input augmentation). */
    batch: AsyncSeriesWaterfallHook<[Batch, BatchContext]>;
  }>;
}

export function createEngineHooks(): EngineHooks {
  return Object.freeze({
    quantizer: Object.freeze({
      observeRanges: new SyncWaterfallHook<[QuantParams, QuantTarget]>(['params', 'target']),
      beforeQuantize: new AsyncSeriesHook<[QuantizeRun]>(['run']),
      afterQuantize: new AsyncSeriesHook<[QuantizeRun]>(['run']),
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
