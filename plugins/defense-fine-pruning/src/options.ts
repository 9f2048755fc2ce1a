import { resolveTrainingOptions, type JsonObject, type OptionRules, type Preset, type ScheduleSpec } from '@qcb/core';

export interface FinePruningOptions {
  /** Share of the last feature map's channels pruned, the least active first (floor(rate x channels)). */
  readonly rate: number;
  /** Fine-tuning epochs after pruning. */
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
  epochs: { type: 'integer', min: 0 },
  batchSize: { type: 'integer', min: 0 },
  lr: { type: 'number', min: 0, exclusiveMin: true },
  momentum: { type: 'number', min: 0, max: 1 },
  weightDecay: { type: 'number', min: 0 },
  schedule: { type: 'enum', values: ['cosine', 'step', 'constant'] },
};

export function finePruningPreset(preset: Preset): FinePruningOptions {
  return preset === 'paper' ? FINE_PRUNING_PAPER : FINE_PRUNING_FAST;
}

/** The preset's options with the run's `--option` overrides of fine-pruning's keys. */
export function resolveFinePruningOptions(preset: Preset, overrides: JsonObject = {}): FinePruningOptions {
  return resolveTrainingOptions(finePruningPreset(preset), FINE_PRUNING_RULES, overrides);
}

export function finePruningSchedule(o: Pick<FinePruningOptions, 'lr' | 'schedule'>): ScheduleSpec {
  if (o.schedule === 'step') return { type: 'step', lr: o.lr, milestones: [0.5, 0.75], gamma: 0.1 };
  return { type: o.schedule, lr: o.lr };
}
