import type { Preset } from '@qcb/core';

export interface LacOptions {
  /** Adam steps per unit (the paper: 10,000). */
  readonly iterations: number;
  readonly batchSize: number;
  readonly lr: number;
  /**
   * Stop a unit early once the reconstruction loss, averaged over `window` steps, improved by
   * less than `minImprovement` (relative) over the previous window; 0 disables.
   */
  readonly window: number;
  readonly minImprovement: number;
}

/** The authors' budget: 10,000 Adam steps per unit on batches of 32 from 1,024 cached samples. */
export const LAC_PAPER: LacOptions = { iterations: 10_000, batchSize: 32, lr: 1e-3, window: 0, minImprovement: 0 };

/** The default: a short budget with early stopping on the reconstruction loss (see README for the measurements). */
export const LAC_FAST: LacOptions = { iterations: 2_000, batchSize: 32, lr: 1e-3, window: 250, minImprovement: 0.01 };

export function lacPreset(preset: Preset): LacOptions {
  return preset === 'paper' ? LAC_PAPER : LAC_FAST;
}
