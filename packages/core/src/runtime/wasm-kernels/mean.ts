import * as tf from '@tensorflow/tfjs-core';
import type { KernelArgs } from './kernel-args.js';
import { leadingAxesSum } from './leading-axes-sum.js';
import { shippedWasmKernel } from './shipped-kernel.js';

const shippedMean = shippedWasmKernel(tf.Mean);

/** Mean on wasm: reductions over leading axes as a GEMM (leading-axes-sum.ts), the rest as shipped. */
function mean(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  return leadingAxesSum(args, true) ?? shippedMean.kernelFunc(args);
}

export const meanConfig: tf.KernelConfig = {
  kernelName: tf.Mean,
  backendName: 'wasm',
  kernelFunc: mean as unknown as tf.KernelFunc,
  setupFunc: shippedMean.setupFunc,
};
