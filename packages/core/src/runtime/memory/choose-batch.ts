import { QcbError } from '../../errors.js';

/**
 * The largest tensor qcb lets a batch make: tfjs-backend-wasm's offsets are signed 32-bit
 * below 2 GiB (see its `>>> 0` note on `_malloc`), and larger typed arrays are not portable.
 */
export const MAX_TENSOR_BYTES = 2 ** 31 - 1;

export interface BatchRequest {
  /** Bytes one more sample adds to a pass (activationBytes' perSample). */
  readonly perSampleBytes: number;
  /** What the pass may hold (backendBudget's budgetBytes). */
  readonly budgetBytes: number;
  /** The batch the stage wants (256 for evaluation, the calibration batch, ...): never exceeded. */
  readonly max: number;
  /** Default 1. */
  readonly min?: number;
  /** Bytes that do not grow with the batch. */
  readonly fixedBytes?: number;
  /** The largest single tensor of one sample: batch times it stays under MAX_TENSOR_BYTES. */
  readonly largestTensorBytes?: number;
}

export interface BatchChoice {
  readonly batch: number;
  /** `fixed + batch * perSample` is within the budget. */
  readonly fits: boolean;
  /** Memory, not `max`, set the batch. */
  readonly limited: boolean;
}

function floorPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(Math.max(1, n)));
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new QcbError('E_USAGE', `${name} must be an integer of at least ${min}, got ${value}`);
}

/**
 * The batch of a pass: `max` when `fixed + max * perSample` fits the budget, else the
 * largest power of two that fits (never below `min`; `fits` is false when even `min` does
 * not).
 */
export function chooseBatch(r: BatchRequest): BatchChoice {
  const min = r.min ?? 1;
  checkCount('the batch', r.max, 1);
  checkCount('the smallest batch', min, 1);
  if (!(r.perSampleBytes >= 0) || !(r.budgetBytes >= 0)) {
    throw new QcbError('E_USAGE', `bytes per sample and budget must be non-negative, got ${r.perSampleBytes} and ${r.budgetBytes}`);
  }
  const room = r.budgetBytes - (r.fixedBytes ?? 0);
  let fitting = r.perSampleBytes > 0 ? Math.floor(room / r.perSampleBytes) : room >= 0 ? Infinity : 0;
  if ((r.largestTensorBytes ?? 0) > 0) fitting = Math.min(fitting, Math.floor(MAX_TENSOR_BYTES / r.largestTensorBytes!));
  if (fitting >= r.max) return { batch: r.max, fits: true, limited: false };
  const batch = Math.min(r.max, Math.max(min, floorPow2(fitting)));
  return { batch, fits: fitting >= batch, limited: true };
}
