import type { ScheduleSpec } from '../../train/schedules.js';
import type { Preset } from '../defense-plugin.js';
import type { OptionRule, OptionRules } from './options.js';

/** The learning-rate schedules a training defense offers as an option. */
export type TrainingScheduleName = 'cosine' | 'step' | 'constant';

export const SCHEDULE_RULE: OptionRule = { type: 'enum', values: ['cosine', 'step', 'constant'] };

/**
 * The fine-tuning settings the training defenses share (the FT baseline's): epochs, images
 * per step (0: from the share and the input size, `defaultBatchSize`), SGD with momentum and
 * coupled weight decay as PyTorch's, and a schedule.
 */
export interface FineTuneOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly schedule: TrainingScheduleName;
}

export const FINE_TUNE_RULES: OptionRules<FineTuneOptions> = {
  epochs: { type: 'integer', min: 1 },
  batchSize: { type: 'integer', min: 0 },
  lr: { type: 'number', min: 0, exclusiveMin: true },
  momentum: { type: 'number', min: 0, max: 1 },
  weightDecay: { type: 'number', min: 0 },
  schedule: SCHEDULE_RULE,
};

/** A named schedule at `lr`; 'step' multiplies by 0.1 at each milestone (fractions of the run, default half and three quarters). */
export function trainingSchedule(schedule: TrainingScheduleName, lr: number, milestones: readonly number[] = [0.5, 0.75]): ScheduleSpec {
  if (schedule === 'step') return { type: 'step', lr, milestones, gamma: 0.1 };
  return { type: schedule, lr };
}

/** The options of a preset. */
export function presetOptions<T>(preset: Preset, paper: T, fast: T): T {
  return preset === 'paper' ? paper : fast;
}
