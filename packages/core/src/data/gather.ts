import { QcbError } from '../errors.js';
import type { ImageSet } from './image-set.js';

/** Copies the images and labels at the given indices, in that order, into new arrays. */
export function gather(set: ImageSet, indices: ArrayLike<number>): { images: Float32Array; labels: Int32Array } {
  const stride = set.shape[0] * set.shape[1] * set.shape[2];
  const images = new Float32Array(indices.length * stride);
  const labels = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= set.count) {
      throw new QcbError('E_USAGE', `index ${i} is outside the image set (0..${set.count - 1})`);
    }
    images.set(set.images.subarray(i * stride, (i + 1) * stride), k * stride);
    labels[k] = set.labels[i];
  }
  return { images, labels };
}
