import * as tf from '@tensorflow/tfjs-core';
import { floatValues, tensorsCopyTheirValues } from '../../util/float-values.js';

/** Rows in shared memory, as a worker receives them: `shape[0]` rows of `shape[1..]`. */
export interface SharedRows {
  readonly buffer: SharedArrayBuffer;
  readonly shape: readonly number[];
}

/**
 * A cache of samples (rows) held in host memory, not in the backend's: each batch is copied
 * out row by row into a small tensor. On the wasm backend `tf.gather` costs about 50 ns per
 * value it copies and `tf.slice` first reads the whole source tensor out of the heap, so a
 * training step on 16 rows of a 1,024-sample cache spent more time picking its rows than
 * computing. Held here, the cache also leaves the wasm heap to the passes. The values may live
 * in a SharedArrayBuffer, which worker threads read in place.
 */
export class HostRows {
  /** Values per row. */
  readonly rowSize: number;

  constructor(readonly values: Float32Array, readonly shape: readonly number[]) {
    this.rowSize = shape.slice(1).reduce((a, b) => a * b, 1);
    if (shape.length < 1 || values.length !== shape[0] * this.rowSize) {
      throw new Error(`host rows of shape [${shape.join(', ')}] need ${shape[0] * this.rowSize} values, got ${values.length}`);
    }
  }

  /** The rows of `pieces` (tensors of one row shape), in order; `shared`: in a SharedArrayBuffer. */
  static fromTensors(pieces: readonly tf.Tensor[], o: { readonly shared?: boolean } = {}): HostRows {
    if (pieces.length === 0) throw new Error('host rows need at least one piece');
    const rowShape = pieces[0].shape.slice(1);
    const count = pieces.reduce((n, p) => n + p.shape[0], 0);
    const size = count * rowShape.reduce((a, b) => a * b, 1);
    const values = o.shared ? new Float32Array(new SharedArrayBuffer(4 * size)) : new Float32Array(size);
    let at = 0;
    for (const piece of pieces) {
      values.set(floatValues(piece), at);
      at += piece.size;
    }
    return new HostRows(values, [count, ...rowShape]);
  }

  /** Rows a worker reads in place (sent as SharedRows). */
  static fromShared(rows: SharedRows): HostRows {
    return new HostRows(new Float32Array(rows.buffer), rows.shape);
  }

  /** These rows in shared memory for the workers: in place when they already are, else copied there once. */
  shared(): SharedRows {
    const v = this.values;
    if (v.buffer instanceof SharedArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) return { buffer: v.buffer, shape: this.shape };
    const buffer = new SharedArrayBuffer(v.byteLength);
    new Float32Array(buffer).set(v);
    return { buffer, shape: this.shape };
  }

  /** Samples held. */
  get count(): number {
    return this.shape[0];
  }

  /** Reused by `gather` where the backend copies a new tensor's values at once (tensorsCopyTheirValues). */
  private scratch: Float32Array | null = null;

  /** Rows `rows` (indices, repeats allowed) as one tensor, as tf.gather along the first axis. */
  gather(rows: ArrayLike<number>): tf.Tensor {
    const out = this.buffer(rows.length * this.rowSize);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (!(r >= 0 && r < this.count)) throw new RangeError(`row ${r} is outside 0..${this.count - 1}`);
      out.set(this.values.subarray(r * this.rowSize, (r + 1) * this.rowSize), i * this.rowSize);
    }
    return tf.tensor(out, [rows.length, ...this.shape.slice(1)]);
  }

  /** `size` rows from `start`, as tf.slice along the first axis. */
  slice(start: number, size: number): tf.Tensor {
    const n = Math.max(0, Math.min(size, this.count - start));
    const view = this.values.subarray(start * this.rowSize, (start + n) * this.rowSize);
    return tf.tensor(tensorsCopyTheirValues() ? view : view.slice(), [n, ...this.shape.slice(1)]);
  }

  /**
   * A buffer of `size` values for a new tensor. A fresh array per step would be a megabyte or
   * more of garbage a step on a large unit, and collecting it took V8's helper threads
   * several milliseconds of CPU per step, taken from the cores a pool's workers step on.
   */
  private buffer(size: number): Float32Array {
    if (!tensorsCopyTheirValues()) return new Float32Array(size);
    if (!this.scratch || this.scratch.length < size) this.scratch = new Float32Array(size);
    return this.scratch.subarray(0, size);
  }
}
