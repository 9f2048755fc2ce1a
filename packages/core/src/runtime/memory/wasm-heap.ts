import * as tf from '@tensorflow/tfjs-core';
import { formatBytes } from './format-bytes.js';

/**
 * The most the wasm backend's heap can grow to: tfjs-backend-wasm 4.x is built with a 4 GiB
 * maximum (emscripten's heap maximum is 4 GiB less one 64 KiB page).
 */
export const WASM_HEAP_MAX_BYTES = 4 * 2 ** 30 - 2 ** 16;

/** The parts of the emscripten module of tfjs-backend-wasm that qcb reads. */
interface WasmModule {
  _malloc(bytes: number): number;
  _free(offset: number): void;
  HEAPU8: Uint8Array;
}

const GUARDED = Symbol.for('qcb.wasmMallocGuard');

/** Live bytes of the allocations made since tracking began, and their peak. */
class AllocationTracker {
  private readonly sizes = new Map<number, number>();
  live = 0;
  peak = 0;

  allocated(offset: number, bytes: number): void {
    this.sizes.set(offset, bytes);
    this.live += bytes;
    if (this.live > this.peak) this.peak = this.live;
  }

  freed(offset: number): void {
    const bytes = this.sizes.get(offset);
    if (bytes === undefined) return;
    this.sizes.delete(offset);
    this.live -= bytes;
  }
}

let tracker: AllocationTracker | null = null;

/** The allocation the wasm heap could not make: thrown before anything is written to address 0. */
export class WasmHeapExhaustedError extends RangeError {
  constructor(readonly bytes: number, readonly heapBytes: number) {
    super(`the wasm heap cannot allocate ${formatBytes(bytes)} more (heap at ${formatBytes(heapBytes)} of ${formatBytes(WASM_HEAP_MAX_BYTES)})`);
    this.name = 'WasmHeapExhaustedError';
  }
}

function activeWasmModule(): WasmModule | null {
  if (tf.getBackend() !== 'wasm') return null;
  const wasm = (tf.backend() as unknown as { wasm?: Partial<WasmModule> }).wasm;
  return wasm && typeof wasm._malloc === 'function' && wasm.HEAPU8 instanceof Uint8Array ? (wasm as WasmModule) : null;
}

/** Bytes the wasm heap has grown to (it never shrinks), or null when wasm is not the active backend. */
export function wasmHeapBytes(): number | null {
  return activeWasmModule()?.HEAPU8.length ?? null;
}

/**
 * Makes a failed tensor allocation on the wasm backend throw. tfjs-backend-wasm does not check
 * `_malloc`, which returns 0 when the heap cannot grow: the kernel then writes its output over
 * the start of the heap and the run dies later with an unrelated trap ("memory access out of
 * bounds", "table index is out of bounds"). Guarded, the allocation throws a
 * WasmHeapExhaustedError before any write, and the heap stays intact. Idempotent; returns
 * whether the active backend is guarded.
 */
export function guardWasmMalloc(): boolean {
  const wasm = activeWasmModule();
  if (wasm === null) return false;
  const marked = wasm as WasmModule & { [GUARDED]?: true };
  if (marked[GUARDED]) return true;
  wrapExport(wasm, '_malloc', (malloc) => (bytes) => {
    // Above the heap's maximum, the size would also wrap around in the 32-bit argument.
    if (bytes > WASM_HEAP_MAX_BYTES) throw new WasmHeapExhaustedError(bytes, wasm.HEAPU8.length);
    const offset = malloc()(bytes);
    if (offset === 0 && bytes > 0) throw new WasmHeapExhaustedError(bytes, wasm.HEAPU8.length);
    tracker?.allocated(offset >>> 0, bytes);
    return offset;
  });
  wrapExport(wasm, '_free', (free) => (offset) => {
    tracker?.freed(offset >>> 0);
    free()(offset);
  });
  Object.defineProperty(marked, GUARDED, { value: true });
  return true;
}

/**
 * Puts `wrap(current)` in place of one of the module's exports. Emscripten binds its exports
 * lazily: the first call replaces the property with the raw export. The accessor keeps the
 * wrapper in place, and `current()` is whichever export was assigned last.
 */
function wrapExport<K extends '_malloc' | '_free'>(wasm: WasmModule, name: K, wrap: (current: () => WasmModule[K]) => WasmModule[K]): void {
  let current = wasm[name];
  const wrapped = wrap(() => current);
  Object.defineProperty(wasm, name, {
    configurable: true,
    enumerable: true,
    get: () => wrapped,
    set: (f: WasmModule[K]) => {
      current = f;
    },
  });
}

/**
 * The most bytes `f`'s allocations on the wasm heap held at once (the backend's tensor
 * buffers, each counted once however many tensors view it), or null when the active backend
 * is not a guarded wasm backend. Frees of buffers allocated before `f` are not counted.
 */
export function peakWasmAllocation(f: () => void): number | null {
  const wasm = activeWasmModule() as (WasmModule & { [GUARDED]?: true }) | null;
  if (wasm === null || !wasm[GUARDED] || tracker !== null) return null;
  const t = new AllocationTracker();
  tracker = t;
  try {
    f();
  } finally {
    tracker = null;
  }
  return t.peak;
}
