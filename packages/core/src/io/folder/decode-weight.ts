import { swapToOrFromLittleEndian } from './byte-order.js';
import { decodeFloat16 } from './float16.js';
import type { WeightManifestEntry } from './types.js';

/** Undecoded values of one weight, in a freshly allocated (hence aligned) typed array. */
export type StoredValues = Float32Array | Int32Array | Uint16Array | Uint8Array;

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

export function storedBytesPerElement(entry: WeightManifestEntry): 1 | 2 | 4 {
  const q = entry.quantization;
  if (q === undefined) return 4;
  return q.dtype === 'uint8' ? 1 : 2;
}

/** Allocates storage for a weight; the caller fills `bytes` with the file's bytes. */
export function allocateStored(entry: WeightManifestEntry, count: number): { stored: StoredValues; bytes: Uint8Array } {
  const q = entry.quantization;
  let stored: StoredValues;
  if (q === undefined) stored = entry.dtype === 'int32' ? new Int32Array(count) : new Float32Array(count);
  else stored = q.dtype === 'uint8' ? new Uint8Array(count) : new Uint16Array(count);
  return { stored, bytes: new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength) };
}

/** Turns filled storage into the weight's values (dequantizing like TF.js `decodeWeights`). */
export function decodeStored(entry: WeightManifestEntry, stored: StoredValues): Float32Array | Int32Array {
  const width = storedBytesPerElement(entry);
  if (width > 1) swapToOrFromLittleEndian(new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength), width as 2 | 4);
  const q = entry.quantization;
  if (q === undefined) return stored as Float32Array | Int32Array;
  if (q.dtype === 'float16') return decodeFloat16(stored as Uint16Array);
  const { scale, min } = q;
  if (entry.dtype === 'int32') {
    const out = new Int32Array(stored.length);
    for (let i = 0; i < stored.length; i++) out[i] = Math.round(stored[i] * scale + min);
    return out;
  }
  const out = new Float32Array(stored.length);
  for (let i = 0; i < stored.length; i++) out[i] = stored[i] * scale + min;
  return out;
}

export function countNonFinite(values: Float32Array | Int32Array): number {
  if (values instanceof Int32Array) return 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) n++;
  return n;
}
