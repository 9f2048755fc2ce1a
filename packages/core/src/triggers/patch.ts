import * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../errors.js';
import { assertImageShape } from './shape.js';
import { defineTriggerFactory, type Trigger, type TriggerFactory } from './trigger.js';

function fail(message: string): never {
  throw new QcbError('E_USAGE', `patch trigger: ${message}`);
}

/**
 * BadNets (Gu et al., 2017): a solid `size` x `size` square of `value` on every channel.
 * By default it sits one pixel in from the bottom-right corner.
 */
export const patchTriggerFactory: TriggerFactory = defineTriggerFactory('patch', (spec, inputShape): Trigger => {
  const [h, w] = inputShape;
  const { size } = spec;
  if (!Number.isInteger(size) || size < 1) fail(`size must be a positive integer, got ${size}`);
  const row = spec.row ?? Math.max(0, h - size - 1);
  const col = spec.col ?? Math.max(0, w - size - 1);
  const value = spec.value ?? 1;
  if (!Number.isInteger(row) || row < 0) fail(`row must be a non-negative integer, got ${row}`);
  if (!Number.isInteger(col) || col < 0) fail(`col must be a non-negative integer, got ${col}`);
  // Outside [0, 1] the final clip would silently change the value (e.g. 255 -> 1).
  if (!(value >= 0 && value <= 1)) fail(`value must be in [0, 1] (pixel space), got ${value}`);
  if (row + size > h) fail(`rows ${row}..${row + size - 1} do not fit the input height ${h}`);
  if (col + size > w) fail(`columns ${col}..${col + size - 1} do not fit the input width ${w}`);

  return {
    spec: { type: 'patch', size, row, col, value },
    description: `BadNets patch ${size}x${size} of value ${value} at rows ${row}..${row + size - 1}, columns ${col}..${col + size - 1}`,
    apply(images) {
      assertImageShape(images, inputShape, 'patch');
      return tf.tidy(() => {
        // mask is 1 inside the square, 0 elsewhere: x * (1 - mask) + value * mask is exact.
        const mask = tf.pad(tf.ones([1, size, size, 1]), [[0, 0], [row, h - row - size], [col, w - col - size], [0, 0]]);
        const stamped = tf.add(tf.mul(images, tf.sub(1, mask)), tf.mul(mask, value));
        return tf.clipByValue(stamped, 0, 1) as tf.Tensor4D;
      });
    },
  };
});
