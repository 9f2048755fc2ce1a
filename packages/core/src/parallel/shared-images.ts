import type { ImageSet } from '../data/image-set.js';

/** An image set's pixels in shared memory: what a pool worker reads its rows from. */
export interface SharedImages {
  readonly buffer: SharedArrayBuffer;
  readonly count: number;
  readonly shape: readonly [number, number, number];
}

// One shared copy per image array, for as long as the array lives (an evaluation set is
// evaluated three times in a purification: the copy is made once).
const copies = new WeakMap<Float32Array, SharedArrayBuffer>();

/** The set's images in a SharedArrayBuffer (copied once per array). */
export function sharedImages(set: ImageSet): SharedImages {
  let buffer = copies.get(set.images);
  if (!buffer) {
    buffer = new SharedArrayBuffer(set.images.byteLength);
    new Float32Array(buffer).set(set.images);
    copies.set(set.images, buffer);
  }
  return { buffer, count: set.count, shape: set.shape };
}
