import * as tf from '@tensorflow/tfjs-core';

/** The wasm backend's view of a tensor's bytes in its heap. */
interface HeapBackend {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function isHeapBackend(b: unknown): b is HeapBackend {
  return typeof (b as Partial<HeapBackend>).typedArrayFromHeap === 'function';
}

/**
 * A float32 tensor's values without a copy where the backend allows (the wasm heap): valid
 * only until the next tensor is allocated, so read it at once and never write to it.
 * Elsewhere `dataSync()`. For per-step traffic that a copy per tensor would double.
 */
export function floatValues(t: tf.Tensor): Float32Array {
  const backend = tf.backend();
  if (t.dtype === 'float32' && isHeapBackend(backend)) return backend.typedArrayFromHeap(t) as Float32Array;
  const values = t.dataSync();
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

/**
 * `v` takes a copy of `values` (its shape's worth), so the caller may reuse the array: the
 * wasm backend copies what a new tensor holds into its heap, the cpu backend keeps the array
 * itself, so it gets a copy.
 */
export function assignValues(v: tf.Variable, values: Float32Array): void {
  const own = tensorsCopyTheirValues() ? values : values.slice();
  tf.tidy(() => v.assign(tf.tensor(own, v.shape, 'float32')));
}

/**
 * Whether a new tensor takes a copy of the array it is made from before tf.tensor returns
 * (the wasm backend copies into its heap), so that the array may be reused or be a view of a
 * larger one; the cpu backend keeps the array itself.
 */
export function tensorsCopyTheirValues(): boolean {
  return isHeapBackend(tf.backend());
}
