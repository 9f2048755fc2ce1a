import { freemem, totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { WASM_HEAP_MAX_BYTES, wasmHeapBytes } from './wasm-heap.js';

/**
 * Share of the free memory one stage plans to fill. The rest is for what the estimate does
 * not see: the allocator's fragmentation (the wasm heap is one dlmalloc arena), kernels'
 * scratch buffers, and the estimate's own error.
 */
export const BUDGET_SHARE = 0.75;

export type MemoryKind = 'wasm heap' | 'process memory';

/** How much memory a stage may plan to allocate on the active backend. */
export interface MemoryBudget {
  /** The tfjs backend, e.g. 'wasm', 'tensorflow', 'cpu'. */
  readonly backend: string;
  /** Where tensors live: the wasm backend's heap, or the process's own memory (native, cpu). */
  readonly kind: MemoryKind;
  /** The most that memory can hold: the wasm heap's maximum, or the machine's (or container's) memory. */
  readonly limitBytes: number;
  /** Held now: the backend's tensors (wasm), or the process's resident memory. */
  readonly inUseBytes: number;
  /** What a stage may plan to allocate: BUDGET_SHARE of what is left. */
  readonly budgetBytes: number;
}

/** What the budget reads from the machine; tests pass their own. */
export interface MemoryProbe {
  /** Memory the system can still give (MemAvailable on Linux). */
  freeBytes(): number;
  /** The machine's memory, or the container's limit when lower. */
  totalBytes(): number;
  residentBytes(): number;
  /** Bytes of every live tensor of the active backend (tf.memory().numBytes). */
  tensorBytes(): number;
  /** The wasm heap's current size, or null when wasm is not the backend. */
  wasmHeapBytes(): number | null;
}

function containerLimit(): number | undefined {
  // Node 20's process.constrainedMemory(): the cgroup limit, 0 or undefined without one.
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  return constrained !== undefined && constrained > 0 ? constrained : undefined;
}

export const SYSTEM_PROBE: MemoryProbe = {
  freeBytes: () => freemem(),
  totalBytes: () => Math.min(totalmem(), containerLimit() ?? Infinity),
  residentBytes: () => process.memoryUsage.rss(),
  tensorBytes: () => tf.memory().numBytes,
  wasmHeapBytes,
};

/**
 * The memory budget of the active backend. On wasm: the heap's 4 GiB maximum less the live
 * tensors, and no more than the heap's free part plus what the system can still give. On the
 * native and cpu backends: the machine's (or container's) memory less the process's resident
 * memory, and no more than the system's free memory.
 */
export function backendBudget(backend: string = tf.getBackend(), probe: MemoryProbe = SYSTEM_PROBE): MemoryBudget {
  const heap = backend === 'wasm' ? probe.wasmHeapBytes() : null;
  if (heap !== null) {
    const inUse = probe.tensorBytes();
    const available = Math.min(WASM_HEAP_MAX_BYTES - inUse, Math.max(0, heap - inUse) + probe.freeBytes());
    return { backend, kind: 'wasm heap', limitBytes: WASM_HEAP_MAX_BYTES, inUseBytes: inUse, budgetBytes: share(available) };
  }
  const limit = probe.totalBytes();
  const inUse = probe.residentBytes();
  const available = Math.min(limit - inUse, probe.freeBytes());
  return { backend, kind: 'process memory', limitBytes: limit, inUseBytes: inUse, budgetBytes: share(available) };
}

function share(available: number): number {
  return Math.max(0, Math.floor(BUDGET_SHARE * available));
}
