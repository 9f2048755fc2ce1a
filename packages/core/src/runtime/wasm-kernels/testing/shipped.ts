// Test support: runs code with tfjs-backend-wasm's own kernel in place of ours.
import * as tf from '@tensorflow/tfjs-core';
import '../register.js';

/**
 * The shipped kernel for `name`, taken when this module loads: importing the registration
 * module registered tfjs-backend-wasm's kernels, and ours replace them only once
 * registerWasmTrainingKernels runs (useWasmWithTrainingKernels).
 */
export function shippedKernelRunner(name: string): <T>(f: () => T) => T {
  const shipped = tf.getKernel(name, 'wasm');
  if (shipped === undefined) throw new Error(`no shipped ${name}`);
  return (f) => {
    const ours = tf.getKernel(name, 'wasm');
    if (ours === undefined) throw new Error(`no ${name} registered`);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(shipped);
    try {
      return f();
    } finally {
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel(ours);
    }
  };
}
