import {
  FINE_TUNE_RULES, presetOptions, resolveTrainingOptions, trainingSchedule, type FineTuneOptions, type JsonObject, type OptionRules, type Preset, type ScheduleSpec,
} from '@qcb/core';

/** The shared fine-tuning settings, plus SAM's and label smoothing. */
export interface FtSamOptions extends FineTuneOptions {
  /** SAM's radius (BackdoorBench: 2 on CIFAR-10, 8 on GTSRB and Tiny-ImageNet). */
  readonly rho: number;
  /** ASAM: the perturbation scaled by |w| element-wise (BackdoorBench's default). */
  readonly adaptive: boolean;
  readonly labelSmoothing: number;
}

/**
 * The paper's FT-SAM baseline, from BackdoorBench (config/defense/ft-sam/cifar10.yaml and
 * defense/ft-sam.py): SGD lr 0.01, momentum 0.9, weight decay 5e-4, cosine annealing,
 * batches of 256, adaptive SAM with rho 2, label smoothing 0.1; 200 epochs as the paper's
 * appendix states (BackdoorBench's config file says 100).
 */
export const FT_SAM_PAPER: FtSamOptions = {
  epochs: 200, batchSize: 256, lr: 0.01, momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine', rho: 2, adaptive: true, labelSmoothing: 0.1,
};

/**
 * The default: 4 epochs, batch size from the share (128 for a 5% Fashion-MNIST share),
 * otherwise the paper's settings. A SAM step costs two gradients: 92 steps on
 * resnet-small, about the time of FT's fast preset doubled.
 */
export const FT_SAM_FAST: FtSamOptions = { ...FT_SAM_PAPER, epochs: 4, batchSize: 0 };

export const FT_SAM_RULES: OptionRules<FtSamOptions> = {
  ...FINE_TUNE_RULES,
  rho: { type: 'number', min: 0, exclusiveMin: true },
  adaptive: { type: 'boolean' },
  labelSmoothing: { type: 'number', min: 0, max: 0.99 },
};

export function ftSamPreset(preset: Preset): FtSamOptions {
  return presetOptions(preset, FT_SAM_PAPER, FT_SAM_FAST);
}

/** The preset's options with the run's `--option` overrides of FT-SAM's keys. */
export function resolveFtSamOptions(preset: Preset, overrides: JsonObject = {}): FtSamOptions {
  return resolveTrainingOptions(ftSamPreset(preset), FT_SAM_RULES, overrides);
}

/** 'step' multiplies the lr by 0.1 at half and three quarters of the run. */
export function ftSamSchedule(o: Pick<FtSamOptions, 'lr' | 'schedule'>): ScheduleSpec {
  return trainingSchedule(o.schedule, o.lr);
}
