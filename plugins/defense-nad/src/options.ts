import {
  QcbError, SCHEDULE_RULE, presetOptions, resolveTrainingOptions, trainingSchedule, type JsonObject, type OptionRules, type Preset, type ScheduleSpec, type TrainingScheduleName,
} from '@qcb/core';

export type NadSchedule = TrainingScheduleName;

export interface NadOptions {
  /** Fine-tuning epochs of the teacher (a copy of the model, plain cross-entropy). */
  readonly teacherEpochs: number;
  readonly teacherLr: number;
  readonly teacherSchedule: NadSchedule;
  /** Distillation epochs of the student. */
  readonly epochs: number;
  readonly lr: number;
  /** 'step': x0.1 at 10%, 20%, 30% and 40% of the run (BackdoorBox: epochs 2, 4, 6, 8 of 20). */
  readonly schedule: NadSchedule;
  /** Images per step for both phases; 0: from the share and the input size. */
  readonly batchSize: number;
  readonly momentum: number;
  readonly weightDecay: number;
  /** Weights of the attention terms, shallowest stage first (one per layer). */
  readonly betas: readonly number[];
  /** Attention map: sum over channels of |f|^power. */
  readonly power: number;
  /** Comma-separated node names whose attention is distilled; '': the ends of the last stages (`stageEnds`). */
  readonly layers: string;
}

/**
 * The paper's NAD baseline (BackdoorBox's NAD and its example schedule): the teacher
 * fine-tuned 10 epochs at lr 0.01 (constant: BackdoorBox's tune-lr schedule writes a key
 * the optimizer never reads), the student 20 epochs from lr 0.01 times 0.1 at epochs 2, 4,
 * 6 and 8, batches of 64, SGD momentum 0.9, weight decay 5e-4; attention terms at the ends of
 * the last three stages with beta 500, 1000, 1000 and p = 2 (the paper's appendix, as
 * BackdoorBench's `nad` config).
 */
export const NAD_PAPER: NadOptions = {
  teacherEpochs: 10, teacherLr: 0.01, teacherSchedule: 'constant',
  epochs: 20, lr: 0.01, schedule: 'step',
  batchSize: 64, momentum: 0.9, weightDecay: 5e-4, betas: [500, 1000, 1000], power: 2, layers: '',
};

/**
 * The default: the teacher fine-tuned 2 epochs, the student distilled 4 epochs on a cosine
 * schedule (the paper's step schedule keeps 0.01 for a tenth of the run only), batch size
 * from the share; the rest as the paper. About 160 steps on resnet-small.
 */
export const NAD_FAST: NadOptions = { ...NAD_PAPER, teacherEpochs: 2, epochs: 4, schedule: 'cosine', batchSize: 0 };

export const NAD_RULES: OptionRules<NadOptions> = {
  teacherEpochs: { type: 'integer', min: 1 },
  teacherLr: { type: 'number', min: 0, exclusiveMin: true },
  teacherSchedule: SCHEDULE_RULE,
  epochs: { type: 'integer', min: 1 },
  lr: { type: 'number', min: 0, exclusiveMin: true },
  schedule: SCHEDULE_RULE,
  batchSize: { type: 'integer', min: 0 },
  momentum: { type: 'number', min: 0, max: 1 },
  weightDecay: { type: 'number', min: 0 },
  betas: { type: 'numbers' },
  power: { type: 'number', min: 0, exclusiveMin: true },
  layers: { type: 'string' },
};

export function nadPreset(preset: Preset): NadOptions {
  return presetOptions(preset, NAD_PAPER, NAD_FAST);
}

/** The preset's options with the run's `--option` overrides of NAD's keys. */
export function resolveNadOptions(preset: Preset, overrides: JsonObject = {}): NadOptions {
  const o = resolveTrainingOptions(nadPreset(preset), NAD_RULES, overrides);
  if (o.layers && o.layers.split(',').length !== o.betas.length) {
    throw new QcbError('E_USAGE', `--option layers names ${o.layers.split(',').length} layers but betas has ${o.betas.length} values`);
  }
  return o;
}

export function nadSchedule(schedule: NadSchedule, lr: number): ScheduleSpec {
  return trainingSchedule(schedule, lr, [0.1, 0.2, 0.3, 0.4]);
}
