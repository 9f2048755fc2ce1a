// The wasm package registers its shipped kernels when first imported: this module keeps them.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import type { KernelArgs } from './kernel-args.js';

/**
 * The kernel tfjs-backend-wasm ships for `name`, kept before ours replaces it. Ours must keep
 * its setupFunc too: that is what binds the wasm function when the backend starts.
 */
export function shippedWasmKernel(name: string): tf.KernelConfig {
  const config = tf.getKernel(name, 'wasm');
  if (config === undefined) throw new Error(`tfjs-backend-wasm registers no ${name} kernel`);
  return config;
}

/**
 * Our kernel for `name` on wasm, with the shipped one's setupFunc, and the shipped kernel
 * itself for the cases ours leaves to it: `ours` returns null for those.
 */
export function replacingShipped(name: string, ours: (args: KernelArgs) => tf.TensorInfo | null): tf.KernelConfig {
  const shipped = shippedWasmKernel(name);
  const kernelFunc = (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => ours(args) ?? shipped.kernelFunc(args);
  return { kernelName: name, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc, setupFunc: shipped.setupFunc };
}
