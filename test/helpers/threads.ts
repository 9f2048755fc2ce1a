import { StepPool, initBackend, setRunThreads } from '@qcb/core';
import { afterAll, beforeAll, expect } from 'vitest';
import { idleWorkerTensors } from '../../packages/core/src/parallel/testing/worker-tensors.js';

export { idleWorkerTensors } from '../../packages/core/src/parallel/testing/worker-tensors.js';

/**
 * For a test file that runs on several threads: wasm before its tests, and after them one
 * thread again with no idle pool worker left. The workers run the compiled dist/, which
 * `pnpm test` builds first.
 */
export function useThreads(): void {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(async () => {
    setRunThreads(1);
    await StepPool.closeIdle();
  });
}

/**
 * The checks a data-parallel trainer's test makes on `run(threads)` (its weights after a run
 * on that many threads): two runs on two threads give the same weights and leave the idle
 * workers holding no more tensors than after the first, and one thread gives other weights
 * (ghost BN or per-shard ranges), which shows the pool ran.
 */
export async function expectReproducibleOnTwoThreads(run: (threads: number) => Promise<number[]>): Promise<void> {
  const first = await run(2);
  const workersBefore = await idleWorkerTensors();
  expect(await run(2)).toEqual(first);
  expect(await idleWorkerTensors()).toEqual(workersBefore);
  expect(await run(1)).not.toEqual(first);
}
