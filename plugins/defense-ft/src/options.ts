import {
  FINE_TUNE_RULES, presetOptions, resolveTrainingOptions, trainingSchedule, type FineTuneOptions, type JsonObject, type OptionRules, type Preset, type ScheduleSpec,
} from '@qcb/core';

/** FT's options are the shared fine-tuning settings. */
export type FtOptions = FineTuneOptions;

/**
 * The paper's FT baseline (BackdoorBox's FineTuning, its appendix): all layers, 10 epochs
 * of batches of 128 (BackdoorBox's example schedule), SGD lr 0.01, momentum 0.9, weight
 * decay 5e-4, cosine annealing (the settings of REFERENCE's FT; BackdoorBench's `ft` config
 * uses the same optimizer and schedule).
 */
export const FT_PAPER: FtOptions = { epochs: 10, batchSize: 128, lr: 0.01, momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine' };

/**
 * The default: 5 epochs, batch size from the share (128 for a 5% Fashion-MNIST share),
 * otherwise the paper's optimizer: 115 steps on resnet-small, about a minute on one core.
 */
export const FT_FAST: FtOptions = { ...FT_PAPER, epochs: 5, batchSize: 0 };

export const FT_RULES: OptionRules<FtOptions> = FINE_TUNE_RULES;

export function ftPreset(preset: Preset): FtOptions {
  return presetOptions(preset, FT_PAPER, FT_FAST);
}

/** The preset's options with the run's `--option` overrides of FT's keys. */
export function resolveFtOptions(preset: Preset, overrides: JsonObject = {}): FtOptions {
  return resolveTrainingOptions(ftPreset(preset), FT_RULES, overrides);
}

/** 'step' multiplies the lr by 0.1 at half and three quarters of the run. */
export function ftSchedule(o: Pick<FtOptions, 'lr' | 'schedule'>): ScheduleSpec {
  return trainingSchedule(o.schedule, o.lr);
}
