import type * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../errors.js';
import type { InputShape } from './trigger.js';

/** Throws E_USAGE unless `images` is a batch of images of `shape`. */
export function assertImageShape(images: tf.Tensor4D, shape: InputShape, trigger: string): void {
  const [, h, w, c] = images.shape;
  if (h !== shape[0] || w !== shape[1] || c !== shape[2]) {
    throw new QcbError('E_USAGE', `the ${trigger} trigger was made for ${shape.join('x')} images but got ${h}x${w}x${c}`);
  }
}

/** Throws E_USAGE unless every entry of the shape is a positive integer. */
export function assertInputShape(shape: InputShape): void {
  if (shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n > 0)) {
    throw new QcbError('E_USAGE', `input shape must be [height, width, channels] of positive integers, got [${shape.join(', ')}]`);
  }
}
