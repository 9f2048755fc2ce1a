import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { compiledModuleUrl } from './compiled-url.js';
import type { TaskModule, WorkerReply, WorkerRequest } from './task.js';

const WORKER = compiledModuleUrl('./pool-worker.js', import.meta.url);

// The workers of the last closed pool, kept for the next start with the same count: a
// purification starts a pool for each evaluation and each defense, and a worker costs a
// second or so of CPU to load tfjs and its wasm module. They are unref'd, so an idle pool
// never keeps the process alive.
let idle: { readonly backend: string; readonly workers: readonly Worker[] } | null = null;

/**
 * Data-parallel workers: `count` worker threads, each with its own tfjs engine (wasm or cpu,
 * one thread each) and a replica of the task's state, each computing its shard of a batch.
 * Gradients come back through shared memory, one slot per worker, and are summed in worker
 * order, so a run is reproducible for a given thread count. The caller applies the update
 * and sends the new values with the next call, so every replica sees the same weights.
 */
export class StepPool {
  private slots: Float32Array[] = [];
  private closed = false;

  private constructor(
    private readonly workers: readonly Worker[],
    private readonly backend: string,
  ) {}

  /**
   * Starts `count` workers on the active backend; null where they cannot run: a backend other
   * than wasm or cpu (the native one already uses every core), or no compiled worker.
   */
  static async start(count: number): Promise<StepPool | null> {
    const backend = tf.getBackend();
    if (count < 2 || (backend !== 'wasm' && backend !== 'cpu')) return null;
    if (WORKER.protocol !== 'file:' || !existsSync(fileURLToPath(WORKER))) return null;
    if (idle && idle.backend === backend && idle.workers.length === count) {
      const { workers } = idle;
      idle = null;
      return new StepPool(workers, backend);
    }
    const execArgv = withoutConditions(process.execArgv);
    const workers = Array.from({ length: count }, (_, index) => new Worker(WORKER, { workerData: { backend, index, count }, execArgv }));
    for (const w of workers) w.unref();
    return new StepPool(workers, backend);
  }

  /** Ends the workers kept by the last close (for a test or a tool that wants no thread left). */
  static async closeIdle(): Promise<void> {
    const kept = idle;
    idle = null;
    if (kept) await Promise.all(kept.workers.map((w) => w.terminate()));
  }

  get size(): number {
    return this.workers.length;
  }

  /** Builds the task on every worker; `init(i)` is worker i's init data; gradients of `gradientLength` floats. */
  async setup(task: TaskModule, init: (worker: number) => unknown, gradientLength: number): Promise<void> {
    this.slots = this.workers.map(() => new Float32Array(new SharedArrayBuffer(4 * Math.max(1, gradientLength))));
    await Promise.all(this.workers.map((w, i) => this.request(w, { type: 'setup', task, init: init(i), gradient: this.slots[i].buffer as SharedArrayBuffer })));
  }

  /** Calls every worker (`payload(i)` for worker i) and returns their results in worker order. */
  call(kind: string, payload: (worker: number) => unknown): Promise<unknown[]> {
    return Promise.all(this.workers.map((w, i) => this.request(w, { type: 'call', kind, payload: payload(i) })));
  }

  /** Calls worker `index` alone. */
  callWorker(index: number, kind: string, payload: unknown): Promise<unknown> {
    return this.request(this.workers[index], { type: 'call', kind, payload });
  }

  /** The workers' gradient slots summed in worker order (into `out` when given). */
  summedGradient(out = new Float32Array(this.slots[0]?.length ?? 0)): Float32Array {
    out.set(this.slots[0]);
    for (let s = 1; s < this.slots.length; s++) {
      const slot = this.slots[s];
      for (let i = 0; i < out.length; i++) out[i] += slot[i];
    }
    return out;
  }

  /** The tensors each worker's engine holds (a test's leak check). */
  async tensorCounts(): Promise<number[]> {
    return (await Promise.all(this.workers.map((w) => this.request(w, { type: 'tensors' })))) as number[];
  }

  /** Disposes every worker's task (its model replica and shared data); the workers stay. */
  async clear(): Promise<void> {
    await Promise.all(this.workers.map((w) => this.request(w, { type: 'dispose' })));
    this.slots = [];
  }

  /**
   * Done with the pool: its workers drop their task and are kept for the next start with the
   * same count and backend (one idle pool at most), else ended.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    let reusable = idle === null && tf.getBackend() === this.backend;
    if (reusable) {
      try {
        await this.clear();
      } catch {
        reusable = false;
      }
    }
    this.closed = true;
    if (reusable && idle === null) idle = { backend: this.backend, workers: this.workers };
    else await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private request(worker: Worker, req: WorkerRequest): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the step pool is closed'));
    return new Promise((resolve, reject) => {
      const onMessage = (reply: WorkerReply): void => {
        cleanup();
        if (reply.ok) resolve(reply.result);
        else reject(new Error(`a pool worker failed: ${reply.message}`));
      };
      const onError = (e: Error): void => {
        cleanup();
        reject(e);
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(new Error(`a pool worker stopped (exit ${code})`));
      };
      const cleanup = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        worker.unref();
      };
      worker.ref();
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage(req);
    });
  }
}

/**
 * The parent's Node flags without custom export conditions: a test runner resolving the
 * workspace packages to their TypeScript sources must not send the workers there too.
 */
function withoutConditions(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--conditions' || argv[i] === '-C') i++;
    else if (!argv[i].startsWith('--conditions=')) out.push(argv[i]);
  }
  return out;
}
