// The wasm package registers its shipped kernels when first imported: this module keeps them.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

/**
 * The kernel tfjs-backend-wasm ships for `name`, kept before ours replaces it. Ours must keep
 * its setupFunc too: that is what binds the wasm function when the backend starts.
 */
export function shippedWasmKernel(name: string): tf.KernelConfig {
  const config = tf.getKernel(name, 'wasm');
  if (config === undefined) throw new Error(`tfjs-backend-wasm registers no ${name} kernel`);
  return config;
}
