import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `compute` with high-level tf ops on the kernel's inputs and hands the
 * result back to the engine as a kernel output.
 *
 * The inputs are wrapped as temporary tensors (with their own reference, so
 * disposing the wrappers never frees the caller's data), everything is computed
 * inside `tf.tidy`, and the result's data gets one extra reference before the
 * temporary result tensor is disposed: the engine then wraps the returned
 * TensorInfo in the single tensor that owns that reference. Nothing created
 * here outlives the call except the returned data.
 */
export function kernelFromOps<T extends readonly tf.TensorInfo[]>(
  backend: tf.KernelBackend,
  inputs: T,
  compute: (...tensors: { [K in keyof T]: tf.Tensor }) => tf.Tensor,
): tf.TensorInfo {
  const engine = tf.engine();
  const result = tf.tidy(() => {
    const tensors = inputs.map((info) => {
      backend.incRef(info.dataId);
      return engine.makeTensorFromTensorInfo(info, backend);
    });
    return compute(...(tensors as { [K in keyof T]: tf.Tensor }));
  });
  backend.incRef(result.dataId);
  const output: tf.TensorInfo = { dataId: result.dataId, shape: result.shape.slice(), dtype: result.dtype };
  result.dispose();
  return output;
}
