import type { EvaluationResult } from '../defense/runner/evaluation.js';
import type { PurifyReport } from '../defense/runner/report.js';

function evaluation(v: unknown, field: string): EvaluationResult {
  const o = v as Record<string, unknown> | null;
  const ok = typeof o === 'object' && o !== null && typeof o['ba'] === 'number' && typeof o['n'] === 'number' &&
    (o['asr'] === null || typeof o['asr'] === 'number');
  if (!ok) throw new Error(`the report's "${field}" is not {ba, asr, n}: ${JSON.stringify(v)}`);
  return { ba: o['ba'] as number, asr: o['asr'] as number | null, n: o['n'] as number };
}

/** Checks the JSON that `qcb purify --json` printed and returns it as a report. */
export function purifyReportFrom(v: unknown): PurifyReport {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`the report is not an object: ${JSON.stringify(v)}`);
  const o = v as Record<string, unknown>;
  const der = o['der'];
  const seconds = o['seconds'];
  if (der !== null && typeof der !== 'number') throw new Error(`the report's "der" is not a number: ${JSON.stringify(der)}`);
  if (typeof seconds !== 'number') throw new Error(`the report's "seconds" is not a number: ${JSON.stringify(seconds)}`);
  const threads = o['threads'];
  if (threads !== undefined && !(typeof threads === 'number' && Number.isInteger(threads) && threads >= 1)) {
    throw new Error(`the report's "threads" is not a positive integer: ${JSON.stringify(threads)}`);
  }
  return {
    fp: evaluation(o['fp'], 'fp'), quantized: evaluation(o['quantized'], 'quantized'), defended: evaluation(o['defended'], 'defended'), der, seconds,
    ...(threads !== undefined ? { threads } : {}),
  };
}
