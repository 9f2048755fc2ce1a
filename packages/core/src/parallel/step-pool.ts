import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { compiledModuleUrl } from './compiled-url.js';
import { movableBuffers } from './plain-tensor.js';
import type { TaskModule, WorkerReply, WorkerRequest } from './task.js';

const WORKER = compiledModuleUrl('./pool-worker.js', import.meta.url);

// The workers of closed pools, kept for the next start on the same backend: a purification
// starts a pool for each evaluation and each defense, and a worker costs a second or so of
// CPU to load tfjs and its wasm module, then a few dozen training steps before V8 has
// compiled its hot code. They are unref'd, so idle workers never keep the process alive.
let idle: { backend: string; workers: Worker[] } = { backend: '', workers: [] };

/**
 * Data-parallel workers: `count` worker threads, each with its own tfjs engine (wasm or cpu,
 * one thread each) and the state of one task at a time, each computing its shard of a
 * batch. A task may send gradients back through shared memory, one slot per worker, summed
 * in worker order (`summedGradient`), so a run is reproducible for a given thread count.
 */
export class StepPool {
  private slots: Float32Array[] = [];
  private closed = false;

  private constructor(
    private readonly workers: readonly Worker[],
    private readonly backend: string,
  ) {}

  /**
   * Starts `count` workers on the active backend (idle ones first); null below `minimum`
   * (default 2: one worker is no faster than the calling thread, unless that thread takes a
   * share too) or where they cannot run: a backend other than wasm or cpu (the native one
   * already uses every core), or no compiled worker.
   */
  static async start(count: number, o: { readonly minimum?: number } = {}): Promise<StepPool | null> {
    const backend = tf.getBackend();
    if (count < Math.max(1, o.minimum ?? 2) || (backend !== 'wasm' && backend !== 'cpu')) return null;
    if (WORKER.protocol !== 'file:' || !existsSync(fileURLToPath(WORKER))) return null;
    if (idle.backend !== backend) await StepPool.closeIdle();
    const reused = idle.workers.splice(0, count);
    const fresh = Array.from({ length: count - reused.length }, () => startWorker(backend));
    for (const w of fresh) w.unref();
    return new StepPool([...reused, ...fresh], backend);
  }

  /** Ends the idle workers (for a test or a tool that wants no thread left). */
  static async closeIdle(): Promise<void> {
    const kept = idle.workers;
    idle = { backend: '', workers: [] };
    await Promise.all(kept.map((w) => w.terminate()));
  }

  get size(): number {
    return this.workers.length;
  }

  /** Builds the task on every worker; `init(i)` is worker i's init data; gradients of `gradientLength` floats. */
  async setup(task: TaskModule, init: (worker: number) => unknown, gradientLength: number): Promise<void> {
    this.slots = this.workers.map(() => new Float32Array(new SharedArrayBuffer(4 * Math.max(1, gradientLength))));
    const count = this.workers.length;
    const inits = this.workers.map((_, index) => init(index));
    const moved = movedToOne(inits);
    await Promise.all(this.workers.map((w, index) => this.request(w, { type: 'setup', task, init: inits[index], gradient: this.slots[index].buffer as SharedArrayBuffer, index, count }, moved[index])));
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
   * Done with the pool: its workers drop their task and are kept for the next start on the
   * same backend (as many as the machine has cores), else ended.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    let reusable = tf.getBackend() === this.backend;
    if (reusable) {
      try {
        await this.clear();
      } catch {
        reusable = false;
      }
    }
    this.closed = true;
    let ended: Worker[] = [...this.workers];
    if (reusable) {
      if (idle.backend !== this.backend) await StepPool.closeIdle();
      const room = Math.max(0, Math.max(2, availableParallelism()) - idle.workers.length);
      idle = { backend: this.backend, workers: [...idle.workers, ...ended.slice(0, room)] };
      ended = ended.slice(room);
    }
    await Promise.all(ended.map((w) => w.terminate()));
  }

  private request(worker: Worker, req: WorkerRequest, transfer: readonly ArrayBuffer[] = []): Promise<unknown> {
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
      worker.postMessage(req, [...transfer]);
    });
  }
}

/**
 * Per worker, the buffers of the fresh plain tensors (plain-tensor.ts) in its init that no
 * other worker's init holds: those move to it instead of being cloned; shared ones are cloned
 * to each.
 */
function movedToOne(inits: readonly unknown[]): ArrayBuffer[][] {
  const lists = inits.map(movableBuffers);
  const holders = new Map<ArrayBuffer, number>();
  for (const list of lists) for (const b of list) holders.set(b, (holders.get(b) ?? 0) + 1);
  return lists.map((list) => list.filter((b) => holders.get(b) === 1));
}

/**
 * A pool worker with the parent's Node flags (a loader a test runner needs, say); V8 flags
 * (`--max-old-space-size`, `--trace-deopt`) are the whole process's and no worker takes them
 * again, so where Node refuses the flags the worker starts without any.
 */
function startWorker(backend: string): Worker {
  try {
    return new Worker(WORKER, { workerData: { backend }, execArgv: withoutConditions(process.execArgv) });
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw e;
    return new Worker(WORKER, { workerData: { backend }, execArgv: [] });
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
