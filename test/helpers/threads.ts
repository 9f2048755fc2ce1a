import { StepPool, initBackend, setRunThreads } from '@qcb/core';
import { afterAll, beforeAll } from 'vitest';

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
