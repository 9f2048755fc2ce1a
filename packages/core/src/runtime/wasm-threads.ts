import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

/**
 * Starts tfjs-backend-wasm 4.22's threaded SIMD build (XNNPACK with a pthreadpool) under
 * Node, which tfjs itself refuses (tensorflow/tfjs#3830). Four things stand in the way, and
 * each is worked around only for the duration of the backend's initialisation:
 * 1. the WASM_HAS_MULTITHREAD_SUPPORT flag is hard-wired to false under Node: set it;
 * 2. the emscripten pthread workers and the script they import are handed over as Blob
 *    object URLs, which Node's Worker rejects (ERR_WORKER_PATH: "must be an absolute
 *    path ... Received blob:nodedata:...") and its importScripts shim cannot read: the
 *    Blobs are written to files and their paths handed over instead;
 * 3. the worker evaluates the factory's source text, which names helpers of the bundle's
 *    own scope (require$$0, commonjsGlobal, __read, __values, __spreadArray): the worker
 *    script defines them;
 * 4. the C side caps the pool at emscripten_num_logical_cores() / 2, i.e. os.cpus() / 2
 *    (1 on a 2-vCPU machine): os.cpus reports twice the asked thread count meanwhile.
 * The pool's worker is then unref'd so that it does not keep the process alive.
 */
export async function initThreadedWasm(threads: number, activate: () => Promise<boolean>): Promise<boolean> {
  const dir = mkdtempSync(join(os.tmpdir(), 'qcb-wasm-threads-'));
  const restore = installShims(dir, threads);
  try {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    setThreadsCount(threads);
    const ok = await activate();
    if (ok) unrefPoolWorkers();
    return ok;
  } finally {
    restore();
    // The pool's workers have imported both scripts once the backend resolved.
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Threads of the active wasm backend's XNNPACK pool (1 for the single-threaded builds). */
export function wasmThreadCount(): number {
  const wasm = wasmModule();
  return wasm === undefined ? 1 : Math.max(1, wasm.tfjs.getThreadsCount());
}

interface EmscriptenPThreads {
  readonly runningWorkers: ReadonlyArray<{ unref(): void }>;
  readonly unusedWorkers: ReadonlyArray<{ unref(): void }>;
}

interface WasmModule {
  readonly tfjs: { getThreadsCount(): number };
  readonly PThread?: EmscriptenPThreads;
}

function wasmModule(): WasmModule | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  return (tf.backend() as unknown as { wasm?: WasmModule }).wasm;
}

function unrefPoolWorkers(): void {
  const pthreads = wasmModule()?.PThread;
  for (const w of [...(pthreads?.runningWorkers ?? []), ...(pthreads?.unusedWorkers ?? [])]) w.unref();
}

/** Prepended to the emscripten worker script (see 3. above); the helpers are the usual tslib ones. */
const WORKER_PREAMBLE = `
globalThis.require$$0 = require('fs'); globalThis.require$$1 = require('path');
globalThis.require$$3 = require('perf_hooks'); globalThis.require$$4 = require('os');
globalThis.commonjsGlobal = globalThis;
globalThis.__values = function (o) {
  var m = typeof Symbol === 'function' && o[Symbol.iterator], i = 0;
  if (m) return m.call(o);
  return { next: function () { if (o && i >= o.length) o = void 0; return { value: o && o[i++], done: !o }; } };
};
globalThis.__read = function (o, n) {
  var m = typeof Symbol === 'function' && o[Symbol.iterator];
  if (!m) return o;
  var it = m.call(o), r, ar = [];
  while ((n === void 0 || n-- > 0) && !(r = it.next()).done) ar.push(r.value);
  return ar;
};
globalThis.__spreadArray = function (to, from) { return to.concat(Array.prototype.slice.call(from)); };
URL.createObjectURL = function (blob) { return blob.path; };
URL.revokeObjectURL = function () {};
`;

const WORKER_SCRIPT_START = '"use strict";var Module={}';

function installShims(dir: string, threads: number): () => void {
  const realBlob = globalThis.Blob;
  const realCreateObjectURL = URL.createObjectURL;
  const realCpus = os.cpus;
  let files = 0;
  /** A Blob whose text lives in a file; structured-cloned to a worker it stays `{ path }`. */
  class FileBlob {
    readonly path: string;
    constructor(parts: readonly string[]) {
      let text = parts.join('');
      if (text.startsWith(WORKER_SCRIPT_START)) text = `"use strict";${WORKER_PREAMBLE}${text.slice('"use strict";'.length)}`;
      this.path = join(dir, `script-${files++}.js`);
      writeFileSync(this.path, text);
    }
  }
  globalThis.Blob = FileBlob as unknown as typeof Blob;
  URL.createObjectURL = (blob: Blob | FileBlob) => (blob instanceof FileBlob ? blob.path : realCreateObjectURL(blob as Blob));
  os.cpus = () => {
    const cpus = realCpus();
    return Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]);
  };
  return () => {
    globalThis.Blob = realBlob;
    URL.createObjectURL = realCreateObjectURL;
    os.cpus = realCpus;
  };
}
