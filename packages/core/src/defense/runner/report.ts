import { defenseEffectivenessRating } from '../../metrics/der.js';
import type { EvaluationResult } from './evaluation.js';

/** BA / ASR of the three models of a purification, the DER and the wall time. */
export interface PurifyReport {
  readonly fp: EvaluationResult;
  readonly quantized: EvaluationResult;
  readonly defended: EvaluationResult;
  /** Percent; null without an ASR. */
  readonly der: number | null;
  readonly seconds: number;
  /** Threads the run used (--threads); the defended figures and the seconds depend on it. Absent in reports from before it was kept. */
  readonly threads?: number;
}

/** The report, with DER measured against the quantized model without defense (paper section 5.1). */
export function purifyReport(fp: EvaluationResult, quantized: EvaluationResult, defended: EvaluationResult, seconds: number, threads?: number): PurifyReport {
  const der = quantized.asr !== null && defended.asr !== null
    ? defenseEffectivenessRating({ ba: quantized.ba, asr: quantized.asr }, { ba: defended.ba, asr: defended.asr })
    : null;
  return { fp, quantized, defended, der, seconds, ...(threads !== undefined ? { threads } : {}) };
}
