import { QcbError, isQcbError } from '../../errors.js';
import { backendBudget, type MemoryBudget } from './backend-budget.js';
import { describeBudget } from './batch-plan.js';

/** What an out-of-memory error names: the model, the pass, its batch and the budget. */
export interface MemoryErrorContext {
  readonly model: string;
  /** 'evaluating', 'calibrating', 'training', ... */
  readonly stage: string;
  readonly batch: number;
  /** Default: the active backend's budget when the error is made. */
  readonly budget?: MemoryBudget;
  /** What to try instead; default: a smaller --batch or the native backend. */
  readonly hint?: string;
}

const ALLOCATION_MESSAGES = [
  /memory access out of bounds/i,
  /table index is out of bounds/i,
  /Aborted\(/,
  /out of memory/i,
  /\bOOM\b/,
  /allocation failed/i,
  /failed to allocate/i,
  /cannot allocate/i,
  /Cannot enlarge memory/i,
  /Invalid (typed )?array (buffer )?length/i,
  /bad_alloc/i,
];

// A trap in wasm code (the lib settings leave out the WebAssembly types).
const WASM_RUNTIME_ERROR = (globalThis as { WebAssembly?: { RuntimeError?: abstract new () => Error } }).WebAssembly?.RuntimeError;

/**
 * A failure of memory rather than of the program: wasm traps (a tensor written over an
 * allocation that failed), an emscripten abort, V8's RangeErrors for buffers it cannot
 * allocate, TensorFlow's OOM. qcb's own errors never count.
 */
export function isAllocationFailure(e: unknown): boolean {
  if (isQcbError(e)) return false;
  if (WASM_RUNTIME_ERROR !== undefined && e instanceof WASM_RUNTIME_ERROR) return true;
  const message = e instanceof Error ? e.message : typeof e === 'string' ? e : '';
  return ALLOCATION_MESSAGES.some((pattern) => pattern.test(message));
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n', 1)[0];
}

/** The one-line error for an allocation that failed, naming the model, the batch and the budget. */
export function outOfMemoryError(ctx: MemoryErrorContext, cause: unknown): QcbError {
  const budget = ctx.budget ?? backendBudget();
  return new QcbError(
    'E_MEMORY',
    `out of memory ${ctx.stage} "${ctx.model}" in batches of ${ctx.batch} with ${describeBudget(budget)}: ${firstLine(cause)}`,
    { hint: ctx.hint ?? 'pass a smaller --batch, or use --backend tensorflow', cause },
  );
}

/** Runs `fn`; an allocation failure inside it becomes outOfMemoryError(ctx). */
export function withAllocationGuard<T>(ctx: MemoryErrorContext, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw isAllocationFailure(e) ? outOfMemoryError(ctx, e) : e;
  }
}

/** withAllocationGuard for async work. */
export async function withAllocationGuardAsync<T>(ctx: MemoryErrorContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw isAllocationFailure(e) ? outOfMemoryError(ctx, e) : e;
  }
}
