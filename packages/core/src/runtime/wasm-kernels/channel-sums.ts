import * as tf from '@tensorflow/tfjs-core';
import { channelSumsWasm } from './channel-sums-module.js';

/** What channel-sums.wat exports: per-channel sums (or means) of `rows` rows of `channels` floats. */
export type ChannelSums = (src: number, rows: number, channels: number, dst: number, mean: number) => void;

/** The parts of tfjs-backend-wasm's backend that a kernel reading the heap in place needs. */
export interface WasmHeapBackend {
  readonly wasm: { readonly asm?: { readonly memory?: unknown } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  getMemoryOffset(dataId: tf.DataId): number;
}

/** The part of the WebAssembly API used here (the lib settings leave out its types). */
interface WasmApi {
  readonly Memory: abstract new (...args: never[]) => object;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { readonly exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;
const instances = new WeakMap<object, ChannelSums | null>();

/**
 * channel-sums.wat instantiated on the backend's own heap (its exported memory, imported by
 * our module: it reads the tensors where they are and sees the heap grow), or null when the
 * build does not export its memory or shares it between threads.
 */
export function channelSumsOn(backend: WasmHeapBackend): ChannelSums | null {
  const memory = backend.wasm.asm?.memory;
  if (!(memory instanceof wasmApi.Memory)) return null;
  let sums = instances.get(memory);
  if (sums === undefined) {
    compiled ??= new wasmApi.Module(Buffer.from(channelSumsWasm, 'base64'));
    try {
      sums = new wasmApi.Instance(compiled, { env: { memory } }).exports.channelSums as ChannelSums;
    } catch {
      // A heap our import cannot take (the threaded build's shared memory): the shipped kernels run.
      sums = null;
    }
    instances.set(memory, sums);
  }
  return sums;
}
