import * as tf from '@tensorflow/tfjs-core';
import { Adam } from '../train/optimizers/adam.js';
import type { SlotState } from '../train/optimizers/optimizer.js';
import { floatValues } from '../util/float-values.js';
import { shardsOf, type Shard } from './shards.js';
import { StepBarrier, barrierBuffer } from './step-barrier.js';
import type { ParallelTask, TaskModule } from './task.js';
import type { StepPool } from './step-pool.js';
import { freeThreads } from './threads.js';

/**
 * Shared memory of one variable trained with Adam on a StepPool's workers, data-parallel as
 * PyTorch's DDP: the variable's values (published by worker 0, or written by the calling
 * thread before a reset), two sets (even and odd steps) of one gradient slot per shard (one
 * shard per pool worker), and the workers' barrier.
 */
export interface ReplicaBuffers {
  readonly values: SharedArrayBuffer;
  readonly gradients: SharedArrayBuffer;
  readonly barrier: SharedArrayBuffer;
}

/** A run of steps: `rows` holds `rows.length / batch` batches of `batch` cache rows, one per step. */
export interface ReplicaStepsCall {
  readonly rows: Int32Array;
  readonly batch: number;
  readonly lr: number;
  /** The index of the first of these steps (objectives seed per-step draws with it). */
  readonly first: number;
  /** The workers that take part (the first `workers` of the pool); default all. */
  readonly workers?: number;
}

/** A replica's variable and Adam state, as one worker hands it to another (ReplicaRun's catch-up). */
export interface ReplicaState {
  readonly values: Float32Array;
  readonly slots: SlotState[];
}

/**
 * The shards (of `count`, one per pool worker) that worker `index` computes when only the
 * first `workers` of the pool take part: shard j goes to worker j mod `workers`. Whoever
 * computes a shard, it is the same float work, and the shards are summed in shard order: the
 * figures depend on the pool's size, never on how many workers took part.
 */
export function ownShards(index: number, workers: number, count: number): number[] {
  const own: number[] = [];
  for (let j = index; j < count; j += workers) own.push(j);
  return own;
}

/**
 * This worker's part of one step: the gradient of its shard's loss weighted by the shard's
 * share of the batch (so that the workers' gradients sum to the whole batch's), and that
 * weighted loss. `rows` is the whole batch; `shard` the rows this worker takes.
 */
export type ShardGradient = (rows: Int32Array, shard: Shard, share: number, iteration: number) => { value: number; grad: tf.Tensor };

/**
 * One worker's replica of the variable and of Adam. Each step the gradient of each shard it
 * takes (ownShards: its own, or more when fewer workers take part) goes to that shard's slot,
 * a barrier, every worker sums the slots in shard order and applies the same update, so the
 * replicas stay equal without sending weights. Slots alternate between two
 * sets on even and odd steps: a worker that starts the next step never overwrites a slot
 * another is still summing.
 */
export class AdamReplica {
  private optimizer: Adam;
  private readonly summed: Float32Array;
  private readonly shared: Float32Array;

  constructor(
    readonly variable: tf.Variable,
    private readonly buffers: ReplicaBuffers,
    private readonly worker: { readonly index: number; readonly count: number },
  ) {
    this.optimizer = new Adam([variable]);
    this.summed = new Float32Array(variable.size);
    this.shared = new Float32Array(buffers.values);
  }

  /** Runs the call's steps; each step's share-weighted loss on this worker's shards. */
  steps(call: ReplicaStepsCall, gradientOf: ShardGradient): number[] {
    const workers = call.workers ?? this.worker.count;
    const barrier = new StepBarrier(this.buffers.barrier, workers);
    const own = ownShards(this.worker.index, workers, this.worker.count);
    const losses: number[] = [];
    try {
      for (let s = 0; s * call.batch < call.rows.length; s++) {
        losses.push(this.step(call.rows.subarray(s * call.batch, (s + 1) * call.batch), call.lr, s % 2, call.first + s, gradientOf, own, barrier));
      }
    } catch (e) {
      barrier.fail();
      throw e;
    }
    return losses;
  }

  /** This replica's variable and Adam state (for a worker that sat out some steps). */
  async state(): Promise<ReplicaState> {
    return { values: floatValues(this.variable).slice(), slots: await this.optimizer.state() };
  }

  /** Continues from another replica's state: the same values and the same Adam moments and step. */
  load(state: ReplicaState): void {
    tf.tidy(() => this.variable.assign(tf.tensor(state.values, this.variable.shape)));
    this.optimizer.loadState(state.slots);
  }

  /** Worker 0 writes its values to the shared buffer (the others' are the same). */
  publish(): void {
    if (this.worker.index === 0) this.shared.set(floatValues(this.variable));
  }

  /** Continues from the shared values with a fresh Adam. */
  reset(): void {
    tf.tidy(() => this.variable.assign(tf.tensor(this.shared, this.variable.shape)));
    this.optimizer.dispose();
    this.optimizer = new Adam([this.variable]);
  }

  dispose(): void {
    this.optimizer.dispose();
  }

  private slot(parity: number, w: number): Float32Array {
    const size = this.variable.size;
    return new Float32Array(this.buffers.gradients, 4 * size * (parity * this.worker.count + w), size);
  }

  private step(rows: Int32Array, lr: number, parity: number, iteration: number, gradientOf: ShardGradient, own: readonly number[], barrier: StepBarrier): number {
    const shards = shardsOf(rows.length, this.worker.count);
    let loss = 0;
    for (const j of own) {
      const shard = shards[j];
      const slot = this.slot(parity, j);
      if (shard.size === 0) {
        slot.fill(0);
        continue;
      }
      const { value, grad } = gradientOf(rows, shard, shard.size / rows.length, iteration);
      slot.set(floatValues(grad));
      grad.dispose();
      loss += value;
    }
    barrier.arrive();
    this.summed.set(this.slot(parity, 0));
    for (let w = 1; w < this.worker.count; w++) {
      const other = this.slot(parity, w);
      for (let i = 0; i < this.summed.length; i++) this.summed[i] += other[i];
    }
    tf.tidy(() => this.optimizer.step([tf.tensor(this.summed, this.variable.shape)], lr));
    return loss;
  }
}

/**
 * A worker task around an AdamReplica: answers 'steps' (ReplicaStepsCall; this worker's
 * share-weighted losses) and 'reset' (the shared values, a fresh Adam), and the objective's
 * own calls.
 */
export function replicaTask(
  replica: AdamReplica, gradientOf: ShardGradient,
  own: { readonly calls?: Readonly<Record<string, (payload: unknown) => unknown>>; readonly dispose?: () => void } = {},
): ParallelTask {
  return {
    call(kind, payload) {
      if (kind === 'steps') return replica.steps(payload as ReplicaStepsCall, gradientOf);
      if (kind === 'reset') return replica.reset();
      if (kind === 'replica-state') return replica.state();
      if (kind === 'replica-load') return replica.load(payload as ReplicaState);
      const handler = own.calls?.[kind];
      if (!handler) throw new Error(`unknown replica task call "${kind}"`);
      return handler(payload);
    },
    dispose() {
      replica.dispose();
      own.dispose?.();
    },
  };
}

/**
 * The calling thread's side of a variable trained on a pool's AdamReplicas: it picks the
 * batches and sums the losses; a call runs many steps, the workers meeting at their barrier
 * in each, so a step costs no message. A call may take fewer workers than the pool has (the
 * first `workers`; ownShards): those that sit out fall behind, and before a call that needs
 * them again they catch up from worker 0 (its values and Adam state), so the figures are
 * those of every call on the whole pool.
 */
export class ReplicaRun {
  private readonly shared: Float32Array;
  private readonly barrier: StepBarrier;
  /** Per worker: whether its replica has taken every step so far. */
  private readonly current: boolean[];

  private constructor(readonly pool: StepPool, private readonly buffers: ReplicaBuffers, private readonly shape: readonly number[]) {
    this.shared = new Float32Array(buffers.values);
    this.barrier = new StepBarrier(buffers.barrier, pool.size);
    this.current = Array.from({ length: pool.size }, () => true);
  }

  /**
   * Sets the pool's workers up with `task`, whose init (built by `init` from the buffers)
   * carries `buffers` for the task's AdamReplica, and starts every replica from `from`.
   */
  static async start(pool: StepPool, task: TaskModule, from: tf.Variable, init: (buffers: ReplicaBuffers) => unknown): Promise<ReplicaRun> {
    const buffers: ReplicaBuffers = {
      values: new SharedArrayBuffer(4 * from.size),
      gradients: new SharedArrayBuffer(4 * from.size * 2 * pool.size),
      barrier: barrierBuffer(),
    };
    const payload = init(buffers);
    await pool.setup(task, () => payload, 0);
    const run = new ReplicaRun(pool, buffers, from.shape);
    await run.reset(from);
    return run;
  }

  /**
   * Adam steps at `lr`, one per batch of rows (all of one size), the first being step `first`,
   * on the first `workers` of the pool (default: those the run's other work leaves free,
   * freeThreads); each step's batch loss.
   */
  async steps(batches: readonly (readonly number[])[], lr: number, first: number, workers = freeThreads(this.pool.size)): Promise<number[]> {
    const active = await this.activate(workers);
    const batch = batches[0]?.length ?? 0;
    const rows = Int32Array.from(batches.flat());
    StepBarrier.restart(this.buffers.barrier);
    const call: ReplicaStepsCall = { rows, batch, lr, first, workers: active };
    const calls = Promise.all(Array.from({ length: active }, (_, w) => this.pool.callWorker(w, 'steps', call)));
    // A worker that fails or stops releases the others from the barrier.
    calls.catch(() => this.barrier.fail());
    const losses = (await calls) as number[][];
    for (let w = active; w < this.current.length; w++) this.current[w] = false;
    return batches.map((_, s) => losses.reduce((sum, own) => sum + own[s], 0));
  }

  /** The values worker 0 last published into `into`. */
  copyValues(into: tf.Variable): void {
    tf.tidy(() => into.assign(tf.tensor(this.shared, [...this.shape])));
  }

  /** Every worker continues from `from` with a fresh Adam. */
  async reset(from: tf.Variable): Promise<void> {
    this.shared.set(floatValues(from));
    await this.pool.call('reset', () => null);
    this.current.fill(true);
  }

  /** The task's own call on every worker, with no payload; the workers' answers in order. */
  call(kind: string): Promise<unknown[]> {
    return this.pool.call(kind, () => null);
  }

  /**
   * The task's own call on the first `workers` of the pool (default: those left free, as for
   * `steps`; brought up to date first), with the number of them as payload; their answers in
   * worker order.
   */
  async callActive(kind: string, workers = freeThreads(this.pool.size)): Promise<unknown[]> {
    const active = await this.activate(workers);
    return Promise.all(Array.from({ length: active }, (_, w) => this.pool.callWorker(w, kind, active)));
  }

  /** The number of workers a call takes (1 to the pool's size), those of them that fell behind caught up from worker 0. */
  private async activate(workers: number): Promise<number> {
    const active = Math.max(1, Math.min(this.pool.size, Math.floor(workers)));
    const behind = this.current.slice(0, active).flatMap((ok, w) => (ok ? [] : [w]));
    if (behind.length > 0) {
      const state = await this.pool.callWorker(0, 'replica-state', null);
      await Promise.all(behind.map((w) => this.pool.callWorker(w, 'replica-load', state)));
      for (const w of behind) this.current[w] = true;
    }
    return active;
  }
}
