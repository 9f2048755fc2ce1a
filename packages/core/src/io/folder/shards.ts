import { HOST_IS_LITTLE_ENDIAN, swapToOrFromLittleEndian } from './byte-order.js';

/** The little-endian bytes of a typed array, without copying on little-endian hosts. */
export function littleEndianBytes(values: Float32Array | Int32Array): Uint8Array {
  const view = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (HOST_IS_LITTLE_ENDIAN) return view;
  const copy = view.slice();
  swapToOrFromLittleEndian(copy, 4);
  return copy;
}

export function shardName(index: number, count: number): string {
  return `group1-shard${index + 1}of${count}.bin`;
}

/** Splits the concatenation of `parts` into shards of at most `shardBytes`, one shard at a time. */
export function* splitIntoShards(parts: readonly Uint8Array[], shardBytes: number): Generator<Uint8Array> {
  const total = parts.reduce((n, p) => n + p.length, 0);
  let part = 0;
  let offset = 0;
  for (let start = 0; start < total; start += shardBytes) {
    const shard = new Uint8Array(Math.min(shardBytes, total - start));
    let filled = 0;
    while (filled < shard.length) {
      const source = parts[part];
      const n = Math.min(source.length - offset, shard.length - filled);
      shard.set(source.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (offset === source.length) {
        part++;
        offset = 0;
      }
    }
    yield shard;
  }
}

export function shardCount(totalBytes: number, shardBytes: number): number {
  return Math.ceil(totalBytes / shardBytes);
}
