import * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../errors.js';
import { gridSampleBilinear } from './grid-sample.js';
import { assertImageShape } from './shape.js';
import { defineTriggerFactory, type Trigger, type TriggerFactory } from './trigger.js';
import { wanetSampleGrid } from './wanet-field.js';

function fail(message: string): never {
  throw new QcbError('E_USAGE', `wanet trigger: ${message}`);
}

/** WaNet (Nguyen & Tran, 2021): a fixed, smooth warp; defaults k = 4, s = 0.5 from the paper. */
export const wanetTriggerFactory: TriggerFactory = defineTriggerFactory('wanet', (spec, inputShape): Trigger => {
  const [h, w] = inputShape;
  const k = spec.k ?? 4;
  const s = spec.s ?? 0.5;
  const seed = spec.seed ?? 0;
  if (!Number.isInteger(k) || k < 1) fail(`k must be a positive integer, got ${k}`);
  // s = 0 (the identity warp) is accepted here; qcb.json and parseTriggerSpec require s > 0.
  if (!(Number.isFinite(s) && s >= 0)) fail(`s must be a non-negative number, got ${s}`);
  if (!Number.isInteger(seed)) fail(`seed must be an integer, got ${seed}`);
  const grid = wanetSampleGrid(h, w, { k, s, seed });

  return {
    spec: { type: 'wanet', k, s, seed },
    description: `WaNet warp with k ${k}, s ${s}, seed ${seed}`,
    apply(images) {
      assertImageShape(images, inputShape, 'wanet');
      return tf.tidy(() => {
        const warped = gridSampleBilinear(images, tf.tensor3d(grid, [h, w, 2]));
        return tf.clipByValue(warped, 0, 1) as tf.Tensor4D;
      });
    },
  };
});
