import { QcbError } from '../../errors.js';
import type { GraphModel } from '../../ir/graph-model.js';
import type { ActivationBytes, ActivationBytesOptions } from './activation-bytes.js';
import type { MemoryBudget } from './backend-budget.js';
import { describeBudget, planBatch, planBytes, planFromBytes, type BatchPlan } from './batch-plan.js';
import { formatBytes } from './format-bytes.js';

export interface TrainingPlanOptions {
  /** The pass trained through (e.g. a quantized model's fake quantization); default the plain model. */
  readonly pass?: ActivationBytesOptions;
  readonly budget?: MemoryBudget;
  /** The step's bytes measured (measurePassBytes) rather than estimated from the IR: for a loss the IR cannot see whole. */
  readonly measured?: ActivationBytes;
}

/**
 * A training batch against the memory budget. The batch size is a hyperparameter (a smaller
 * one trains differently), so the plan keeps it: `fits` says whether it fits, and `batch` is
 * the largest power of two that would when it does not.
 */
export function trainingPlan(model: GraphModel, batchSize: number, o: TrainingPlanOptions = {}): BatchPlan {
  const budget = o.budget ? { budget: o.budget } : {};
  if (o.measured) return planFromBytes(model.graph.name, o.measured, { stage: 'training', wanted: batchSize, ...budget });
  return planBatch(model, { stage: 'training', wanted: batchSize, kind: 'training', ...o.pass, ...budget });
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

/**
 * A training batch whose step was measured (TrainingPlanOptions.measured), against memory: a
 * one-line error (refuseUnfitTraining) when the measured step exceeds what the memory can hold
 * at all; a note when it exceeds only the budget's share, which keeps room for the
 * allocator's fragmentation and kernels' scratch memory, so that the run may still fit or may
 * stop at its first steps with the out-of-memory error; null when it fits the budget.
 */
export function checkMeasuredTraining(plan: BatchPlan, option = 'the batch size'): string | null {
  if (trainingFits(plan)) return null;
  const needed = planBytes(plan, plan.wanted);
  if (needed > plan.budget.limitBytes - plan.budget.inUseBytes) refuseUnfitTraining(plan, option);
  const fitting = plan.fits ? `; batches of up to ${plan.batch} fit the budget` : '';
  return `training "${plan.model}" in batches of ${plan.wanted} needs about ${formatBytes(needed)} (measured), over ${describeBudget(plan.budget)}: it may run out of memory${fitting}`;
}
