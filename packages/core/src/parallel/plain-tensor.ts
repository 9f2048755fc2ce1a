import * as tf from '@tensorflow/tfjs-core';

/** A float32 tensor as plain data: what crosses to and from a pool worker by copy. */
export interface PlainTensor {
  readonly values: Float32Array;
  readonly shape: readonly number[];
}

// Values that toPlainTensor copied out of a tensor: nothing else holds them, so a message
// may move their buffers instead of cloning them. Node's structured clone of a 27 MB array
// took 0.1 s to write on the sending thread and twice that to read on the receiving one.
const fresh = new WeakSet<Float32Array>();

/** The tensor's values in an array of their own (wasm's dataSync copies out of its heap; the cpu backend's returns its store). */
export function toPlainTensor(t: tf.Tensor): PlainTensor {
  const data = t.dataSync() as Float32Array;
  const values = tf.getBackend() === 'wasm' ? data : data.slice();
  fresh.add(values);
  return { values, shape: t.shape };
}

/**
 * The buffers of the plain tensors toPlainTensor made inside `value` (arrays and records
 * walked), each once: a postMessage transfer list. The sender must not read them after.
 */
export function movableBuffers(value: unknown): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  const walk = (v: unknown): void => {
    if (v instanceof Float32Array) {
      if (fresh.has(v)) found.add(v.buffer as ArrayBuffer);
    } else if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer) && !(v instanceof SharedArrayBuffer)) {
      Object.values(v).forEach(walk);
    }
  };
  walk(value);
  return [...found];
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
