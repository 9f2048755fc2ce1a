import { resolveTrainingOptions, type JsonObject, type OptionRules, type Preset, type ScheduleSpec } from '@qcb/core';

export interface FtOptions {
  readonly epochs: number;
  /** Images per step; 0: from the share and the input size (`defaultBatchSize`). */
  readonly batchSize: number;
  /** SGD with momentum and coupled weight decay, as PyTorch's. */
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  /** 'step' multiplies the lr by 0.1 at half and three quarters of the run. */
  readonly schedule: 'cosine' | 'step' | 'constant';
}

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

export const FT_RULES: OptionRules<FtOptions> = {
  epochs: { type: 'integer', min: 1 },
  batchSize: { type: 'integer', min: 0 },
  lr: { type: 'number', min: 0, exclusiveMin: true },
  momentum: { type: 'number', min: 0, max: 1 },
  weightDecay: { type: 'number', min: 0 },
  schedule: { type: 'enum', values: ['cosine', 'step', 'constant'] },
};

export function ftPreset(preset: Preset): FtOptions {
  return preset === 'paper' ? FT_PAPER : FT_FAST;
}

/** The preset's options with the run's `--option` overrides of FT's keys. */
export function resolveFtOptions(preset: Preset, overrides: JsonObject = {}): FtOptions {
  return resolveTrainingOptions(ftPreset(preset), FT_RULES, overrides);
}

export function ftSchedule(o: Pick<FtOptions, 'lr' | 'schedule'>): ScheduleSpec {
  if (o.schedule === 'step') return { type: 'step', lr: o.lr, milestones: [0.5, 0.75], gamma: 0.1 };
  return { type: o.schedule, lr: o.lr };
}
