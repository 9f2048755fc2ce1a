import * as tf from '@tensorflow/tfjs-core';
import { kernelBackend, kernelInput, type KernelArgs } from './kernel-args.js';

/**
 * tf.clone on wasm without a copy: the output shares the input's data (one more reference),
 * as the cpu backend's Identity and wasm's own Reshape do. The engine clones every tensor
 * an op saves for its gradient, so with tfjs-wasm's copying Identity each training step
 * duplicated the activations it keeps for the backward pass. Tensor data is never written in
 * place, so sharing it is safe. Strings keep the shipped kernel's path.
 */
function identity(args: KernelArgs): tf.TensorInfo {
  const x = kernelInput(args, 'x');
  const backend = kernelBackend(args);
  if (x.dtype === 'string') return tf.tensor(backend.readSync(x.dataId) as unknown as string[], x.shape, x.dtype);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}

export const identityConfig: tf.KernelConfig = {
  kernelName: tf.Identity,
  backendName: 'wasm',
  kernelFunc: identity as unknown as tf.KernelFunc,
};
