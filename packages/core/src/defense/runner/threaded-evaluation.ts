import type { GraphModel } from '../../ir/graph-model.js';
import { accuracy } from '../../metrics/accuracy.js';
import { attackSuccessRate } from '../../metrics/asr.js';
import { predictOnPool } from '../../parallel/pool-prediction.js';
import { StepPool } from '../../parallel/step-pool.js';
import { runThreads } from '../../parallel/threads.js';
import type { QuantizedModel } from '../../quant/quantized-model.js';
import type { DefenseProgress } from '../defense-plugin.js';
import type { Baselines } from './baselines.js';
import { evaluationImages, type EvaluationResult, type EvaluationSet } from './evaluation.js';

/** Images per forward pass when the caller's memory plan gives none. */
const DEFAULT_BATCH = 256;

export interface ThreadedEvaluationOptions {
  readonly progress?: DefenseProgress;
  /** Workers; default runThreads() (--threads). */
  readonly threads?: number;
}

/**
 * BA / ASR of `model` on a StepPool: the clean and the triggered test images are split across
 * the workers and the classes joined in order, so the figures are those of one thread
 * (evaluateModel), counted from the same predictions.
 */
export async function evaluateModelOnPool(
  pool: StepPool, model: GraphModel | QuantizedModel, set: EvaluationSet, o: { batch?: number; onBatch?: (done: number, total: number) => void } = {},
): Promise<EvaluationResult> {
  const sets = set.poisoned !== null && set.target !== null ? [set.test, set.poisoned] : [set.test];
  const [clean, triggered] = await predictOnPool(pool, model, sets, { batch: o.batch ?? DEFAULT_BATCH, normalization: set.normalization, ...(o.onBatch ? { onBatch: o.onBatch } : {}) });
  const ba = accuracy(clean, set.test.labels);
  const asr = triggered && set.poisoned !== null && set.target !== null ? attackSuccessRate(triggered, set.poisoned.labels, set.target) : null;
  return { ba, asr, n: set.test.count };
}

/** One model to evaluate: its progress label and the batch of its forward passes (a memory plan's). */
export interface EvaluationStage {
  readonly label: string;
  readonly model: GraphModel | QuantizedModel;
  readonly batch?: number;
}

async function stageOnPool(pool: StepPool, s: EvaluationStage, set: EvaluationSet, progress: DefenseProgress | undefined): Promise<EvaluationResult> {
  progress?.stage(s.label, evaluationImages(set));
  const result = await evaluateModelOnPool(pool, s.model, set, { ...(s.batch !== undefined ? { batch: s.batch } : {}), onBatch: (done) => progress?.step(done) });
  progress?.stageDone(`BA ${result.ba.toFixed(2)}%${result.asr === null ? '' : `  ASR ${result.asr.toFixed(2)}%`}`);
  return result;
}

/** `work` on runThreads() pool workers when there are more than one and the backend allows (StepPool.start), else `inThisThread()`. */
async function onPool<T>(o: ThreadedEvaluationOptions, work: (pool: StepPool) => Promise<T>, inThisThread: () => T): Promise<T> {
  const threads = o.threads ?? runThreads();
  const pool = threads > 1 ? await StepPool.start(threads) : null;
  if (!pool) return inThisThread();
  try {
    return await work(pool);
  } finally {
    await pool.close();
  }
}

/** One model's BA / ASR with a progress stage of its own, on the pool's workers, else `inThisThread()`. */
export function evaluateOnThreads(stage: EvaluationStage, set: EvaluationSet, o: ThreadedEvaluationOptions, inThisThread: () => EvaluationResult): Promise<EvaluationResult> {
  return onPool(o, (pool) => stageOnPool(pool, stage, set, o.progress), inThisThread);
}

/** The two baselines (full precision, then quantized without defense) on the pool's workers, else `inThisThread()`. */
export function baselinesOnThreads(fp: EvaluationStage, quantized: EvaluationStage, set: EvaluationSet, o: ThreadedEvaluationOptions, inThisThread: () => Baselines): Promise<Baselines> {
  return onPool(o, async (pool) => ({ fp: await stageOnPool(pool, fp, set, o.progress), quantized: await stageOnPool(pool, quantized, set, o.progress) }), inThisThread);
}
