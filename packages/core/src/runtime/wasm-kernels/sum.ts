import * as tf from '@tensorflow/tfjs-core';
import type { KernelArgs } from './kernel-args.js';
import { leadingAxesSum } from './leading-axes-sum.js';
import { shippedWasmKernel } from './shipped-kernel.js';

const shippedSum = shippedWasmKernel(tf.Sum);

/** Sum on wasm: reductions over leading axes as a GEMM (leading-axes-sum.ts), the rest as shipped. */
function sum(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  return leadingAxesSum(args, false) ?? shippedSum.kernelFunc(args);
}

export const sumConfig: tf.KernelConfig = {
  kernelName: tf.Sum,
  backendName: 'wasm',
  kernelFunc: sum as unknown as tf.KernelFunc,
  setupFunc: shippedSum.setupFunc,
};
