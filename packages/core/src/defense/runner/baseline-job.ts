import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../../errors.js';
import type { GraphModel } from '../../ir/graph-model.js';
import type { JsonObject } from '../../io/folder/index.js';
import { saveModel } from '../../io/model-io.js';
import { holdThread } from '../../parallel/threads.js';
import { quantJsonOf } from '../../quant/quant-json.js';
import type { QuantizedModel } from '../../quant/quantized-model.js';
import type { BaselineQuantized, BaselineReply, BaselineRequest } from './baseline-protocol.js';
import type { Baselines } from './baselines.js';
import type { EvaluationSet } from './evaluation.js';

export interface BaselineJob {
  /** Hands the worker the undefended quantized model, once made; it evaluates it after the full-precision one. */
  quantized(model: QuantizedModel): Promise<void>;
  /** Resolves once both models are evaluated; rejects with the worker's error. */
  readonly result: Promise<Baselines>;
  /** Ends the worker and removes its model copies (harmless once it is done). */
  stop(): Promise<void>;
}

const WORKER = new URL('./baseline-worker.js', import.meta.url);

/**
 * Evaluates the full-precision and the undefended quantized model on a worker thread, so
 * that on a machine with a second core they cost no wall time beside the calibration and
 * the defense: the worker starts on the full-precision model while the caller quantizes
 * (which runs on one thread), and takes the quantized model when `quantized` hands it over.
 * Null where that does not help or cannot run: on a backend other than wasm or cpu
 * (the native one already uses every core), or where the compiled worker is absent (the
 * sources run under vitest); the caller then evaluates in its own thread.
 */
export async function startBaselineJob(fp: GraphModel, set: EvaluationSet, batch?: number): Promise<BaselineJob | null> {
  const backend = tf.getBackend();
  if (backend !== 'wasm' && backend !== 'cpu') return null;
  if (WORKER.protocol !== 'file:' || !existsSync(fileURLToPath(WORKER))) return null;
  const dir = await mkdtemp(join(tmpdir(), 'qcb-baselines-'));
  const request: BaselineRequest = { fpDir: join(dir, 'fp'), backend, set, ...(batch !== undefined ? { batch } : {}) };
  let worker: Worker;
  try {
    await saveModel(request.fpDir, fp);
    worker = new Worker(WORKER, { workerData: request });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
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
  // Its core is taken until it reports: the defense's replicas leave it alone (freeThreads).
  const release = holdThread();
  result.then(release, release);
  return {
    quantized: async (model) => {
      const handed: BaselineQuantized = {
        quantizedDir: join(dir, 'quantized'),
        quantJson: quantJsonOf(model) as unknown as JsonObject,
        weightsOnGrid: model.parts.weightsOnGrid,
      };
      await saveModel(handed.quantizedDir, model.model);
      worker.postMessage(handed);
    },
    result,
    stop: async () => {
      release();
      await worker.terminate();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
