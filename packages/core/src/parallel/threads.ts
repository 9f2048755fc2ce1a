import { availableParallelism } from 'node:os';
import { QcbError } from '../errors.js';

let configured = 1;

/**
 * Threads a run may use for its training steps, evaluations and calibration (`--threads N`).
 * Process-wide like the tfjs backend itself; 1 (everything on the calling thread) until set.
 */
export function runThreads(): number {
  return configured;
}

/** Sets the run's thread count; `undefined` means every core of the machine. */
export function setRunThreads(threads: number | undefined): number {
  const n = threads ?? availableParallelism();
  if (!Number.isInteger(n) || n < 1) throw new QcbError('E_USAGE', `--threads must be a positive integer, got ${String(threads)}`);
  configured = n;
  return n;
}

let held = 0;

/**
 * Marks one of the run's threads as taken by other work until the returned release is called
 * (the purification's side worker while it evaluates the baselines), so that a stage that
 * can choose (freeThreads) leaves that core to it.
 */
export function holdThread(): () => void {
  held++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held--;
  };
}

/** Of `total` threads (default the run's), those other work does not hold now (holdThread); at least 1. */
export function freeThreads(total: number = configured): number {
  return Math.max(1, total - held);
}
