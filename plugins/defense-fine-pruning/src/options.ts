import {
  FINE_TUNE_RULES, presetOptions, resolveTrainingOptions, trainingSchedule, type FineTuneOptions, type JsonObject, type OptionRules, type Preset, type ScheduleSpec,
} from '@qcb/core';

/** The pruning rate, then the shared fine-tuning settings (`epochs` after pruning; 0: pruning alone). */
export interface FinePruningOptions extends FineTuneOptions {
  /** Share of the last feature map's channels pruned, the least active first (floor(rate x channels)). */
  readonly rate: number;
}

/**
 * The paper's fine-pruning baseline (its appendix takes it from BackdoorBox): prune 40% of
 * the last stage's channels (the rate the paper names; BackdoorBox's `Pruning` takes it as
 * `prune_rate`), then fine-tune as the FT baseline: 10 epochs of 128, SGD lr 0.01, momentum
 * 0.9, weight decay 5e-4, cosine annealing.
 */
export const FINE_PRUNING_PAPER: FinePruningOptions = {
  rate: 0.4, epochs: 10, batchSize: 128, lr: 0.01, momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine',
};

/**
 * The default: the same pruning, 5 epochs of fine-tuning with the batch size from the share
 * (FT's fast preset): 115 steps on resnet-small with a 5% Fashion-MNIST share.
 */
export const FINE_PRUNING_FAST: FinePruningOptions = { ...FINE_PRUNING_PAPER, epochs: 5, batchSize: 0 };

export const FINE_PRUNING_RULES: OptionRules<FinePruningOptions> = {
  rate: { type: 'number', min: 0, max: 1 },
  ...FINE_TUNE_RULES,
  epochs: { type: 'integer', min: 0 },
};

export function finePruningPreset(preset: Preset): FinePruningOptions {
  return presetOptions(preset, FINE_PRUNING_PAPER, FINE_PRUNING_FAST);
}

/** The preset's options with the run's `--option` overrides of fine-pruning's keys. */
export function resolveFinePruningOptions(preset: Preset, overrides: JsonObject = {}): FinePruningOptions {
  return resolveTrainingOptions(finePruningPreset(preset), FINE_PRUNING_RULES, overrides);
}

/** 'step' multiplies the lr by 0.1 at half and three quarters of the run. */
export function finePruningSchedule(o: Pick<FinePruningOptions, 'lr' | 'schedule'>): ScheduleSpec {
  return trainingSchedule(o.schedule, o.lr);
}
