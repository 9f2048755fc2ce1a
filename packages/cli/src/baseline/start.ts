import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { QcbError } from '@qcb/core';
import type { BaselineReply, BaselineRequest, Baselines } from './protocol.js';

export interface BaselineJob {
  /** Resolves once both models are evaluated; rejects with the worker's error. */
  readonly result: Promise<Baselines>;
  /** Ends the worker (after a failed run; harmless once it is done). */
  stop(): Promise<void>;
}

const WORKER = new URL('./worker.js', import.meta.url);

/**
 * Evaluates the full-precision and the undefended quantized model on a worker thread, so
 * that on a machine with a second core they cost no wall time beside a defense, which
 * runs on one. Null where the compiled worker is absent (the sources run under vitest):
 * the caller then evaluates in its own thread.
 */
export function startBaselineJob(req: BaselineRequest): BaselineJob | null {
  if (WORKER.protocol !== 'file:' || !existsSync(fileURLToPath(WORKER))) return null;
  const worker = new Worker(WORKER, { workerData: req });
  const result = new Promise<Baselines>((resolve, reject) => {
    worker.once('message', (reply: BaselineReply) => {
      if (reply.ok) resolve(reply.baselines);
      else reject(reply.code ? new QcbError(reply.code, reply.message) : new Error(reply.message));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the baseline evaluation stopped (exit ${code}) before it reported`)));
  });
  // Awaited only after the defense: keep an early failure from counting as unhandled meanwhile.
  result.catch(() => undefined);
  return {
    result,
    stop: async () => {
      await worker.terminate();
    },
  };
}
