import type { GraphModel } from '../../ir/graph-model.js';
import { modelActivationBytes, type ActivationBytes, type ActivationBytesOptions } from './activation-bytes.js';
import { backendBudget, type MemoryBudget } from './backend-budget.js';
import { chooseBatch } from './choose-batch.js';
import { formatBytes } from './format-bytes.js';

export interface PlanOptions extends ActivationBytesOptions {
  /** What the pass does, for messages: 'evaluating', 'calibrating', 'training', ... */
  readonly stage: string;
  /** The batch the stage takes when memory allows (256 for evaluation, a training batch size, ...). */
  readonly wanted: number;
  /** A batch the user set (--batch): used as it is, only measured against the budget. */
  readonly requested?: number;
  /** Default: the active backend's (backendBudget()). */
  readonly budget?: MemoryBudget;
  /** Default 1. */
  readonly min?: number;
}

/** The batch of one stage and where it came from: what messages and out-of-memory errors name. */
export interface BatchPlan {
  /** The graph's name. */
  readonly model: string;
  readonly stage: string;
  readonly batch: number;
  readonly wanted: number;
  /** The user set the batch (--batch). */
  readonly requested: boolean;
  /** Memory, not the stage's own batch, set it. */
  readonly limited: boolean;
  /** The estimate at this batch is within the budget. */
  readonly fits: boolean;
  readonly perSampleBytes: number;
  readonly fixedBytes: number;
  readonly budget: MemoryBudget;
}

/** The options that make a quantized model's pass: its activation quantizers and, unless baked, its weights' fake quantization. */
export function quantizedPass(q: { readonly parts: { readonly activations: ReadonlyMap<string, unknown>; readonly weightsOnGrid: boolean } } | null): ActivationBytesOptions {
  return q === null ? {} : { quantizedInputs: new Set(q.parts.activations.keys()), quantizedWeights: !q.parts.weightsOnGrid };
}

/** A plan from a pass's estimated bytes (planBatch measures the model's; tests give synthetic ones). */
export function planFromBytes(model: string, bytes: ActivationBytes, o: Omit<PlanOptions, keyof ActivationBytesOptions>): BatchPlan {
  const budget = o.budget ?? backendBudget();
  const request = { perSampleBytes: bytes.perSample, budgetBytes: budget.budgetBytes, fixedBytes: bytes.fixed, largestTensorBytes: bytes.largestPerSample, min: o.min };
  const requested = o.requested !== undefined;
  const choice = chooseBatch({ ...request, max: o.requested ?? o.wanted });
  return {
    model, stage: o.stage, batch: o.requested ?? choice.batch, wanted: o.wanted, requested, limited: !requested && choice.limited,
    fits: requested ? !choice.limited : choice.fits, perSampleBytes: bytes.perSample, fixedBytes: bytes.fixed, budget,
  };
}

/**
 * The batch a stage runs a model with: the stage's own (`wanted`) when its estimated peak
 * (activationBytes from the IR's node shapes) fits the backend's budget, else the largest
 * power of two that does; a `requested` batch (--batch) is used as it is.
 */
export function planBatch(model: GraphModel, o: PlanOptions): BatchPlan {
  const { stage, wanted, requested, budget, min, ...pass } = o;
  return planFromBytes(model.graph.name, modelActivationBytes(model, pass), { stage, wanted, requested, budget, min });
}

/** Bytes a plan's pass holds at its peak, by the estimate. */
export function planBytes(plan: BatchPlan, batch = plan.batch): number {
  return plan.fixedBytes + batch * plan.perSampleBytes;
}

/** The budget in words: `the wasm heap budget of 2.9 GiB (of 4.0 GiB, 120 MiB in use)`. */
export function describeBudget(budget: MemoryBudget): string {
  return `the ${budget.kind} budget of ${formatBytes(budget.budgetBytes)} (of ${formatBytes(budget.limitBytes)}, ${formatBytes(budget.inUseBytes)} in use)`;
}

/** One line on how a plan chose its batch, e.g. for stderr. */
export function describeBatchPlan(plan: BatchPlan): string {
  const head = `${plan.stage} "${plan.model}" in batches of ${plan.batch}`;
  const each = `about ${formatBytes(plan.perSampleBytes)} per sample`;
  if (plan.requested) {
    const over = plan.fits ? '' : `, about ${formatBytes(planBytes(plan))}: over ${describeBudget(plan.budget)}`;
    return `${head} (--batch${over})`;
  }
  if (!plan.limited) return `${head} (${each}, within ${describeBudget(plan.budget)})`;
  return `${head}: ${plan.wanted} would need about ${formatBytes(planBytes(plan, plan.wanted))}, over ${describeBudget(plan.budget)} (${each})`;
}
