import { DEFAULT_CHECKPOINT_SECONDS, QcbError } from '@qcb/core';
import type { Parsed } from './options.js';

/** A numeric option with a default; rejects non-numbers and values out of range. */
export function numberOption(p: Parsed, name: string, fallback: number, check: { min?: number; max?: number; integer?: boolean } = {}): number {
  const raw = p.values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  const bad =
    typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(v) ||
    (check.integer && !Number.isInteger(v)) || (check.min !== undefined && v < check.min) || (check.max !== undefined && v > check.max);
  if (bad) {
    const range = [check.integer ? 'an integer' : 'a number', check.min !== undefined ? `>= ${check.min}` : '', check.max !== undefined ? `<= ${check.max}` : ''].filter(Boolean).join(' ');
    throw new QcbError('E_USAGE', `--${name} must be ${range}, got ${JSON.stringify(raw)}`);
  }
  return v;
}

/**
 * --batch: samples per forward pass of evaluation, calibration and the defenses' caches
 * (results do not depend on it); undefined lets qcb choose what fits the backend's memory.
 */
export function batchOption(p: Parsed): number | undefined {
  return p.values['batch'] === undefined ? undefined : numberOption(p, 'batch', 0, { min: 1, integer: true });
}

/** --checkpoint-minutes of `qcb train` and `qcb attack`: how often a run checkpoints inside an epoch, in seconds. */
export function checkpointSecondsOption(p: Parsed): number {
  return numberOption(p, 'checkpoint-minutes', DEFAULT_CHECKPOINT_SECONDS / 60, { min: 0 }) * 60;
}
