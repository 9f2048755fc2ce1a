import * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../errors.js';
import { gather } from './gather.js';
import type { ImageSet, Normalization } from './image-set.js';

/** The images and int32 labels at the given indices as tensors (one copy, one tensor call each). */
export function imageBatch(set: ImageSet, indices: ArrayLike<number>): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const { images, labels } = gather(set, indices);
  return { x: tf.tensor4d(images, [indices.length, ...set.shape]), y: tf.tensor1d(labels, 'int32') };
}

/** (x - mean) / std per channel, broadcast over the last axis. */
export function normalize(x: tf.Tensor4D, n: Normalization): tf.Tensor4D {
  const channels = x.shape[3];
  if (n.mean.length !== channels || n.std.length !== channels) {
    throw new QcbError('E_USAGE', `normalization has ${n.mean.length} means and ${n.std.length} stds for ${channels}-channel images`);
  }
  return tf.tidy(() => tf.div(tf.sub(x, tf.tensor1d(Array.from(n.mean))), tf.tensor1d(Array.from(n.std))));
}
