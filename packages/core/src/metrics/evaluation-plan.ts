import type { GraphModel } from '../ir/graph-model.js';
import { planBatch, quantizedPass, type BatchPlan } from '../runtime/memory/batch-plan.js';
import type { MemoryBudget } from '../runtime/memory/backend-budget.js';
import type { QuantizedModel } from '../quant/quantized-model.js';

/** Images per forward pass of an evaluation when memory allows: results do not depend on it. */
export const EVALUATION_BATCH = 256;

export interface EvaluationPlanOptions {
  /** --batch: used as it is. */
  readonly batch?: number;
  readonly budget?: MemoryBudget;
}

/**
 * The batch an evaluation of `model` (full precision) or of `quantized` (its fake-quantized
 * pass) runs with: 256 images when their activations fit the backend's memory budget, else
 * the largest power of two that does. Predictions do not depend on it.
 */
export function evaluationPlan(model: GraphModel | QuantizedModel, o: EvaluationPlanOptions = {}): BatchPlan {
  const quantized = 'parts' in model ? model : null;
  return planBatch(quantized?.model ?? (model as GraphModel), {
    stage: 'evaluating', wanted: EVALUATION_BATCH, ...quantizedPass(quantized),
    ...(o.batch !== undefined ? { requested: o.batch } : {}), ...(o.budget ? { budget: o.budget } : {}),
  });
}
