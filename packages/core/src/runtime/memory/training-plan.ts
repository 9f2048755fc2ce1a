import { QcbError } from '../../errors.js';
import type { GraphModel } from '../../ir/graph-model.js';
import type { ActivationBytesOptions } from './activation-bytes.js';
import type { MemoryBudget } from './backend-budget.js';
import { describeBudget, planBatch, planBytes, type BatchPlan } from './batch-plan.js';
import { formatBytes } from './format-bytes.js';

export interface TrainingPlanOptions {
  /** The pass trained through (e.g. a quantized model's fake quantization); default the plain model. */
  readonly pass?: ActivationBytesOptions;
  readonly budget?: MemoryBudget;
}

/**
 * A training batch against the memory budget. The batch size is a hyperparameter (a smaller
 * one trains differently), so the plan keeps it: `fits` says whether it fits, and `batch` is
 * the largest power of two that would when it does not.
 */
export function trainingPlan(model: GraphModel, batchSize: number, o: TrainingPlanOptions = {}): BatchPlan {
  return planBatch(model, { stage: 'training', wanted: batchSize, kind: 'training', ...o.pass, ...(o.budget ? { budget: o.budget } : {}) });
}

/** The training batch size fits the budget. */
export function trainingFits(plan: BatchPlan): boolean {
  return plan.fits && plan.batch === plan.wanted;
}

/**
 * Refuses a training batch size that does not fit: a one-line error with the size, the
 * estimate, the budget and the largest size that fits. qcb does not accumulate gradients
 * over smaller batches instead: with batch normalisation, each micro-batch would normalise
 * with its own statistics, which is another training. `option` names how the user sets the
 * batch size (e.g. `--batch-size`).
 */
export function refuseUnfitTraining(plan: BatchPlan, option = 'the batch size'): void {
  if (trainingFits(plan)) return;
  const fitting = plan.fits ? `batches of up to ${plan.batch} fit` : 'not even a batch of 1 fits';
  throw new QcbError(
    'E_MEMORY',
    `training "${plan.model}" in batches of ${plan.wanted} needs about ${formatBytes(planBytes(plan, plan.wanted))}, over ${describeBudget(plan.budget)}; ${fitting}`,
    { hint: `lower ${option} (a smaller batch trains differently; qcb does not accumulate gradients over smaller batches), or use --backend tensorflow` },
  );
}
