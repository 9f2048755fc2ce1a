import type { GraphModel } from '../../ir/graph-model.js';
import { evaluationPlan } from '../../metrics/evaluation-plan.js';
import type { BatchPlan } from '../../runtime/memory/batch-plan.js';
import type { Forward } from '../../metrics/predict.js';
import type { QuantizedModel } from '../../quant/quantized-model.js';
import type { DefenseProgress } from '../defense-plugin.js';
import { evaluateModel, evaluationImages, type EvaluationResult, type EvaluationSet } from './evaluation.js';

/** The two models a defense is measured against: full precision and quantized without defense. */
export interface Baselines {
  readonly fp: EvaluationResult;
  readonly quantized: EvaluationResult;
}

/** Evaluates one model with a progress stage of its own, in the plan's batches (evaluationPlan). */
export function evaluateWithProgress(label: string, forward: Forward, set: EvaluationSet, progress?: DefenseProgress, plan?: BatchPlan): EvaluationResult {
  progress?.stage(label, evaluationImages(set));
  const result = evaluateModel(forward, set, { ...(plan ? { plan } : {}), onBatch: (done) => progress?.step(done) });
  progress?.stageDone(`BA ${result.ba.toFixed(2)}%${result.asr === null ? '' : `  ASR ${result.asr.toFixed(2)}%`}`);
  return result;
}

/**
 * BA / ASR of the full-precision model and of its quantized model without defense, in this
 * thread, each in batches that fit its memory (`batch`: --batch).
 */
export function evaluateBaselines(fp: GraphModel, quantized: QuantizedModel, set: EvaluationSet, progress?: DefenseProgress, batch?: number): Baselines {
  return { fp: evaluateBaseline('fp', fp, set, progress, batch), quantized: evaluateBaseline('quantized', quantized, set, progress, batch) };
}

/** One of the two baselines ('evaluating fp' or 'evaluating quantized'), in batches that fit its memory (`batch`: --batch). */
export function evaluateBaseline(which: keyof Baselines, model: GraphModel | QuantizedModel, set: EvaluationSet, progress?: DefenseProgress, batch?: number): EvaluationResult {
  return evaluateWithProgress(`evaluating ${which}`, (x) => model.predict(x), set, progress, evaluationPlan(model, batch !== undefined ? { batch } : {}));
}
