import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runConcurrently } from './concurrent-steps.js';
import { median } from './timing.js';

const SCRIPT = fileURLToPath(new URL('../torch/resnet_small_step.py', import.meta.url));

export interface TorchStep {
  readonly threads: number;
  readonly seconds: number;
  readonly torch: string;
}

/** The first of $QCB_PYTHON, python3 on the PATH and Debian's /usr/bin/python3 that imports torch. */
const PYTHON = [process.env['QCB_PYTHON'], 'python3', '/usr/bin/python3']
  .filter((p): p is string => Boolean(p))
  .find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);

/** Whether some python3 imports torch (Debian's python3-torch); the bench skips PyTorch otherwise. */
export function torchAvailable(): boolean {
  return PYTHON !== undefined;
}

/** PyTorch's median resnet-small training step on `threads` threads (torch/resnet_small_step.py). */
export async function torchStepTime(threads: number, batch: number, steps: number, warmup: number): Promise<TorchStep> {
  const [step] = await runConcurrently<TorchStep>(PYTHON ?? 'python3', torchArgs(threads, batch, steps, warmup), 1);
  return step;
}

function torchArgs(threads: number, batch: number, steps: number, warmup: number): string[] {
  return [SCRIPT, '--threads', String(threads), '--batch', String(batch), '--steps', String(steps), '--warmup', String(warmup)];
}

/** The median of `copies` one-thread PyTorch steps timed at once, each in a process of its own (concurrent-steps.ts). */
export async function torchConcurrentStepTime(copies: number, batch: number, steps: number, warmup: number): Promise<number> {
  const runs = await runConcurrently<TorchStep>(PYTHON ?? 'python3', torchArgs(1, batch, steps, warmup), copies);
  return median(runs.map((r) => r.seconds));
}
