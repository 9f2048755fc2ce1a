import { StepPool } from '../step-pool.js';

/** The tensors each worker of an idle two-thread pool holds once its last task is disposed. */
export async function idleWorkerTensors(): Promise<number[]> {
  const pool = await StepPool.start(2);
  if (!pool) throw new Error('no step pool: run pnpm build first (the workers run dist/)');
  const counts = await pool.tensorCounts();
  await pool.close();
  return counts;
}
