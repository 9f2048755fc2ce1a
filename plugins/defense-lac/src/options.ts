import type { Preset } from '@qcb/core';

export interface LacOptions {
  /** Adam steps per unit at most (the paper: 10,000). */
  readonly iterations: number;
  readonly batchSize: number;
  readonly lr: number;
  /** Every this many steps the offset is scored on the whole cache; the best one is kept. */
  readonly evalEvery: number;
  /** Stop a unit after this many scorings without a better one (0: never stop early). */
  readonly patience: number;
  /**
   * On a plateau (`patience` scorings without a better offset) restart from the best
   * offset with half the learning rate, this many times, before stopping.
   */
  readonly restarts: number;
  /**
   * Compare the unit's output after the activation quantizer that the next conv/dense
   * applies to it, as the authors' units (which end at that quantizer) do.
   */
  readonly quantizeOutput: boolean;
  /**
   * Before training, shift each cached input sample by +-this many steps of the unit's input
   * quantizer, per channel (channel-shift.ts); 0: off, the authors' LAC. Units whose input
   * stays in full precision are not shifted.
   */
  readonly channelShiftSteps: number;
}

/** The authors' budget: 10,000 Adam steps per unit on batches of 32 from 1,024 cached samples. */
export const LAC_PAPER: LacOptions = { iterations: 10_000, batchSize: 32, lr: 1e-3, evalEvery: 250, patience: 0, restarts: 0, quantizeOutput: true, channelShiftSteps: 0 };

/**
 * The default: at most 3,000 steps; after 300 steps without a better cache reconstruction,
 * back to the best offset with half the lr, twice, then stop (lr 1e-3, 5e-4, 2.5e-4). Most
 * units find their best offset in the first few hundred steps at 1e-3; some (the convs
 * before a residual add) improve only at the lower rates (README, "What longer training
 * buys"). Without an augmentation the cache is shifted by half an input step per channel,
 * which puts the activation-quantizer backdoors of the `-act` fixtures to sleep too
 * (README, "Channel shift").
 */
export const LAC_FAST: LacOptions = { iterations: 3_000, batchSize: 32, lr: 1e-3, evalEvery: 100, patience: 3, restarts: 2, quantizeOutput: true, channelShiftSteps: 0.5 };

/**
 * The preset's options for a run. With an augmentation (PDA), which moves the cached inputs
 * itself, the fast preset does not shift them too: both together cost 2 to 3 BA points
 * (README, "Channel shift").
 */
export function lacPreset(preset: Preset, augmented = false): LacOptions {
  if (preset === 'paper') return LAC_PAPER;
  return augmented ? { ...LAC_FAST, channelShiftSteps: 0 } : LAC_FAST;
}
