import * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../errors.js';
import { blendPattern } from './blend-patterns.js';
import { assertImageShape } from './shape.js';
import { defineTriggerFactory, type InputShape, type Trigger, type TriggerFactory, type TriggerSpecOf } from './trigger.js';

/**
 * x' = (1 - alpha) * x + alpha * pattern, clipped to [0, 1], for a given H x W x C pattern;
 * `spec.pattern` only names it.
 */
export function blendTrigger(spec: TriggerSpecOf<'blend'>, pattern: Float32Array, inputShape: InputShape): Trigger {
  const [h, w, c] = inputShape;
  const { alpha } = spec;
  if (!(alpha > 0 && alpha <= 1)) throw new QcbError('E_USAGE', `blend trigger: alpha must be in (0, 1], got ${alpha}`);
  if (pattern.length !== h * w * c) {
    throw new QcbError('E_USAGE', `blend trigger: the pattern has ${pattern.length} values, expected ${h}x${w}x${c} = ${h * w * c}`);
  }
  const seed = spec.seed === undefined ? '' : `, seed ${spec.seed}`;
  return {
    spec,
    description: `blend of the '${spec.pattern ?? 'custom'}' pattern with alpha ${alpha}${seed}`,
    apply(images) {
      assertImageShape(images, inputShape, 'blend');
      return tf.tidy(() => {
        const mixed = tf.add(tf.mul(images, 1 - alpha), tf.mul(tf.tensor4d(pattern, [1, h, w, c]), alpha));
        return tf.clipByValue(mixed, 0, 1) as tf.Tensor4D;
      });
    },
  };
}

/** Blended injection (Chen et al., 2017); blend-patterns.ts lists the patterns. */
export const blendTriggerFactory: TriggerFactory = defineTriggerFactory('blend', (spec, inputShape): Trigger => {
  const pattern = spec.pattern ?? 'noise';
  if (pattern !== 'noise') {
    return blendTrigger({ type: 'blend', alpha: spec.alpha, pattern }, blendPattern(pattern, inputShape, 0), inputShape);
  }
  const seed = spec.seed ?? 0;
  if (!Number.isInteger(seed)) throw new QcbError('E_USAGE', `blend trigger: seed must be an integer, got ${seed}`);
  return blendTrigger({ type: 'blend', alpha: spec.alpha, pattern, seed }, blendPattern(pattern, inputShape, seed), inputShape);
});
