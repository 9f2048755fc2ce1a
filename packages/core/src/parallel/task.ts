/**
 * What a worker of a StepPool runs: a module exporting a factory that builds the task from
 * the init data (on the worker's own tfjs engine) and answers calls. A call may write a
 * gradient (already weighted by its shard's share of the batch) into `gradient`, a view of
 * the worker's slot in shared memory; the pool sums the slots in shard order.
 */
export interface ParallelTask {
  call(kind: string, payload: unknown, gradient: Float32Array): unknown;
  dispose(): void;
}

export type ParallelTaskFactory = (init: unknown, shard: { readonly index: number; readonly count: number }) => ParallelTask | Promise<ParallelTask>;

/** Where a task's factory lives: a module URL (compiled JavaScript) and the export's name. */
export interface TaskModule {
  readonly url: string;
  readonly exportName: string;
}

export type WorkerRequest =
  | { readonly type: 'setup'; readonly task: TaskModule; readonly init: unknown; readonly gradient: SharedArrayBuffer; readonly index: number; readonly count: number }
  | { readonly type: 'call'; readonly kind: string; readonly payload: unknown }
  | { readonly type: 'dispose' }
  | { readonly type: 'tensors' };

export type WorkerReply = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly message: string };
