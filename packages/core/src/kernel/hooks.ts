import { SyncHook, SyncWaterfallHook, AsyncSeriesHook } from 'tapable';
import type { DefenseRun } from '../defense/defense-run.js';
import type { QuantParams, QuantTarget, QuantizeRun } from './hook-types.js';

/**
 * The engine's hooks, by stage. Created once per engine, then frozen. The calibration, loss
 * and data stages belong to a purification run (`DefenseRun.hooks`): tap
 * `defense.run` to reach them.
 */
export interface EngineHooks {
  readonly quantizer: Readonly<{
    /** Waterfall over the quant params chosen for one weight or activation. */
    observeRanges: SyncWaterfallHook<[QuantParams, QuantTarget]>;
    beforeQuantize: AsyncSeriesHook<[QuantizeRun]>;
    afterQuantize: AsyncSeriesHook<[QuantizeRun]>;
  }>;
  readonly defense: Readonly<{
    /** A purification run starts, its selected augmentations already applied: tap its hooks here. */
    run: SyncHook<[DefenseRun]>;
  }>;
}

export function createEngineHooks(): EngineHooks {
  return Object.freeze({
    quantizer: Object.freeze({
      observeRanges: new SyncWaterfallHook<[QuantParams, QuantTarget]>(['params', 'target']),
      beforeQuantize: new AsyncSeriesHook<[QuantizeRun]>(['run']),
      afterQuantize: new AsyncSeriesHook<[QuantizeRun]>(['run']),
    }),
    defense: Object.freeze({
      run: new SyncHook<[DefenseRun]>(['run']),
    }),
  });
}
