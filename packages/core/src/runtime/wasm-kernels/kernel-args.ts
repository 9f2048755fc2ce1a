import * as tf from '@tensorflow/tfjs-core';

/** Typed access to what the engine passes a kernelFunc. */
export type KernelArgs = Parameters<tf.KernelFunc>[0];

export function kernelInput(args: KernelArgs, name: string): tf.TensorInfo {
  const info = args.inputs[name];
  if (info === undefined) {
    throw new Error(`Kernel input '${name}' is missing.`);
  }
  return info;
}

export function kernelBackend(args: KernelArgs): tf.KernelBackend {
  return args.backend as tf.KernelBackend;
}

export function shape4D(info: tf.TensorInfo, what: string): [number, number, number, number] {
  if (info.shape.length !== 4) {
    throw new Error(`${what} must be rank 4, got shape [${info.shape.join(', ')}].`);
  }
  return info.shape as [number, number, number, number];
}
