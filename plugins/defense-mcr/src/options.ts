import {
  QcbError, SCHEDULE_RULE, presetOptions, resolveTrainingOptions, trainingSchedule, type JsonObject, type OptionRules, type Preset, type ScheduleSpec, type TrainingScheduleName,
} from '@qcb/core';

export type McrSchedule = TrainingScheduleName;

export interface McrOptions {
  /** Fine-tuning epochs of the second endpoint (a copy of the model, plain cross-entropy). */
  readonly endpointEpochs: number;
  readonly endpointLr: number;
  readonly endpointSchedule: McrSchedule;
  /** Training epochs of the curve's middle bend. */
  readonly epochs: number;
  readonly lr: number;
  /** 'step': x0.1 at 75% and 90% of the run (BackdoorBox's MCR example: epochs 450 and 540 of 600). */
  readonly schedule: McrSchedule;
  /** Images per step of both phases; 0: from the share and the input size. */
  readonly batchSize: number;
  readonly momentum: number;
  readonly weightDecay: number;
  /** The point of the curve returned (0: the model, 1: its fine-tuned copy). */
  readonly t: number;
  /** Points to choose from by accuracy on a held-out part of the share; empty: `t` alone. */
  readonly candidates: readonly number[];
  /** Share of the defender's images held out to choose among candidates (only with two or more). */
  readonly holdout: number;
}

/**
 * BackdoorBench's `mcr` config (CIFAR-10): the endpoint fine-tuned 100 epochs at lr 0.01
 * (cosine), then the middle bend of a 3-bend Bezier curve trained 100 epochs at lr 3e-5
 * (cosine), both on batches of 128 with SGD momentum 0.9 and weight decay 5e-4; the model
 * at t = 0.1 returned (the point it reports).
 */
export const MCR_PAPER: McrOptions = {
  endpointEpochs: 100, endpointLr: 0.01, endpointSchedule: 'cosine',
  epochs: 100, lr: 3e-5, schedule: 'cosine',
  batchSize: 128, momentum: 0.9, weightDecay: 5e-4,
  t: 0.1, candidates: [], holdout: 0.1,
};

/**
 * The default: the endpoint fine-tuned 3 epochs, the curve trained 5 epochs at lr 0.01 (at
 * 3e-5 five epochs would leave the middle bend where it started), batch size from the
 * share. About 185 steps on resnet-small with a 5% Fashion-MNIST share.
 */
export const MCR_FAST: McrOptions = { ...MCR_PAPER, endpointEpochs: 3, epochs: 5, lr: 0.01, batchSize: 0 };

export const MCR_RULES: OptionRules<McrOptions> = {
  endpointEpochs: { type: 'integer', min: 0 },
  endpointLr: { type: 'number', min: 0, exclusiveMin: true },
  endpointSchedule: SCHEDULE_RULE,
  epochs: { type: 'integer', min: 0 },
  lr: { type: 'number', min: 0, exclusiveMin: true },
  schedule: SCHEDULE_RULE,
  batchSize: { type: 'integer', min: 0 },
  momentum: { type: 'number', min: 0, max: 1 },
  weightDecay: { type: 'number', min: 0 },
  t: { type: 'number', min: 0, max: 1 },
  candidates: { type: 'numbers' },
  holdout: { type: 'number', min: 0, exclusiveMin: true, max: 0.5 },
};

export function mcrPreset(preset: Preset): McrOptions {
  return presetOptions(preset, MCR_PAPER, MCR_FAST);
}

/** The preset's options with the run's `--option` overrides of MCR's keys. */
export function resolveMcrOptions(preset: Preset, overrides: JsonObject = {}): McrOptions {
  const o = resolveTrainingOptions(mcrPreset(preset), MCR_RULES, overrides);
  if (o.candidates.some((t) => t > 1)) {
    throw new QcbError('E_USAGE', `--option candidates must be comma-separated numbers between 0 and 1, got ${JSON.stringify(overrides['candidates'])}`);
  }
  return o;
}

/** The points a run chooses from: the candidates, or `t` alone. */
export function curvePoints(o: Pick<McrOptions, 't' | 'candidates'>): readonly number[] {
  return o.candidates.length > 0 ? o.candidates : [o.t];
}

export function mcrSchedule(schedule: McrSchedule, lr: number): ScheduleSpec {
  return trainingSchedule(schedule, lr, [0.75, 0.9]);
}
