import type { ImageSet, Normalization } from '../../data/image-set.js';
import type { QcbSidecar } from '../../io/folder/index.js';
import type { Engine } from '../../kernel/engine.js';
import { evaluateClassifier } from '../../metrics/evaluate.js';
import type { Forward } from '../../metrics/predict.js';
import { EVALUATION_BATCH } from '../../metrics/evaluation-plan.js';
import type { BatchPlan } from '../../runtime/memory/batch-plan.js';
import { createTrigger } from '../../triggers/parse-trigger.js';
import { poisonedView } from '../../triggers/poisoned-view.js';

/** What a model is measured on: the clean test set and, when the model's qcb.json names a trigger and target, its triggered copy. */
export interface EvaluationSet {
  readonly test: ImageSet;
  /** The test images of other classes with the trigger applied, true labels kept; null without a trigger. */
  readonly poisoned: ImageSet | null;
  readonly target: number | null;
  readonly normalization: Normalization;
}

export interface EvaluationResult {
  /** Percent. */
  readonly ba: number;
  /** Percent, or null when qcb.json names no trigger and target. */
  readonly asr: number | null;
  readonly n: number;
}

/** The evaluation set of a model: its trigger and target come from qcb.json (evaluation only: no defense reads them). */
export function evaluationSet(engine: Engine, test: ImageSet, sidecar: QcbSidecar | null, normalization: Normalization): EvaluationSet {
  const trigger = sidecar?.trigger;
  const target = trigger !== undefined && sidecar?.target !== undefined ? sidecar.target : null;
  const poisoned = trigger !== undefined && target !== null ? poisonedView(test, createTrigger(trigger, test.shape, engine.triggerFactories()), target) : null;
  return { test, poisoned, target, normalization };
}

/**
 * BA on the clean test set and, with a trigger, ASR; `onBatch` counts the images of both
 * passes. The batch: `batch`, else the plan's (evaluationPlan), else 256.
 */
export function evaluateModel(forward: Forward, set: EvaluationSet, o: { batch?: number; plan?: BatchPlan; onBatch?: (done: number, total: number) => void } = {}): EvaluationResult {
  const batch = o.batch ?? o.plan?.batch ?? EVALUATION_BATCH;
  const r = evaluateClassifier(forward, set.test, set.poisoned, set.target, { batch, ...(o.plan ? { plan: o.plan } : {}), normalization: set.normalization, onBatch: o.onBatch });
  return { ba: r.ba, asr: r.asr, n: r.n };
}

/** Images one evaluation goes through (for a progress bar's total). */
export function evaluationImages(set: EvaluationSet): number {
  return set.test.count + (set.poisoned?.count ?? 0);
}
