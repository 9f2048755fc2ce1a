export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Model files are little-endian. On a big-endian host, swap each `width`-byte element in place;
 * the same operation converts in both directions.
 */
export function swapToOrFromLittleEndian(bytes: Uint8Array, width: 2 | 4): void {
  if (HOST_IS_LITTLE_ENDIAN) return;
  for (let i = 0; i + width <= bytes.length; i += width) {
    bytes.subarray(i, i + width).reverse();
  }
}
