import type * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's backend that a kernel reading the heap in place needs. */
export interface WasmHeapBackend {
  readonly wasm: { readonly asm?: { readonly memory?: unknown } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  getMemoryOffset(dataId: tf.DataId): number;
  disposeData(dataId: tf.DataId): boolean;
}

/** The part of the WebAssembly API used here (the lib settings leave out its types). */
interface WasmApi {
  readonly Memory: abstract new (...args: never[]) => object;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { readonly exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * One export of a hand-written module (a .wat compiled into `moduleBase64`), instantiated on
 * the backend's own heap: the module imports tfjs-backend-wasm's exported memory, so it reads
 * and writes tensors where they lie and sees the heap grow. Null when the build does not
 * export its memory or shares it between threads (the threaded build): the shipped kernel runs.
 */
export function heapExport<F>(moduleBase64: string, name: string): (backend: WasmHeapBackend) => F | null {
  let compiled: object | undefined;
  const instances = new WeakMap<object, F | null>();
  return (backend) => {
    const memory = backend.wasm.asm?.memory;
    if (!(memory instanceof wasmApi.Memory)) return null;
    let f = instances.get(memory);
    if (f === undefined) {
      compiled ??= new wasmApi.Module(Buffer.from(moduleBase64, 'base64'));
      try {
        f = new wasmApi.Instance(compiled, { env: { memory } }).exports[name] as F;
      } catch {
        f = null;
      }
      instances.set(memory, f);
    }
    return f;
  };
}
