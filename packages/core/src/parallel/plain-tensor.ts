import * as tf from '@tensorflow/tfjs-core';

/** A float32 tensor as plain data: what crosses to and from a pool worker by copy. */
export interface PlainTensor {
  readonly values: Float32Array;
  readonly shape: readonly number[];
}

export function toPlainTensor(t: tf.Tensor): PlainTensor {
  return { values: t.dataSync() as Float32Array, shape: t.shape };
}

export function fromPlainTensor(p: PlainTensor): tf.Tensor {
  return tf.tensor(p.values, [...p.shape], 'float32');
}

/** A tensor's values in shared memory, copied once per tensor while it lives (a run's defender batches). */
export interface SharedTensor {
  readonly buffer: SharedArrayBuffer;
  readonly shape: readonly number[];
}

const copies = new WeakMap<tf.Tensor, SharedTensor>();

export function sharedTensor(t: tf.Tensor): SharedTensor {
  let shared = copies.get(t);
  if (!shared) {
    const buffer = new SharedArrayBuffer(4 * t.size);
    new Float32Array(buffer).set(t.dataSync());
    shared = { buffer, shape: t.shape };
    copies.set(t, shared);
  }
  return shared;
}

/** A tensor over a shared copy's values (the worker disposes it). */
export function fromSharedTensor(s: SharedTensor): tf.Tensor {
  return tf.tensor(new Float32Array(s.buffer), [...s.shape], 'float32');
}
