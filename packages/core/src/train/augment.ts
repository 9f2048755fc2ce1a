import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '../data/random.js';

/** Training-time augmentation: random crops of a zero-padded image, random horizontal flips. */
export interface AugmentSpec {
  /** Pad by this many pixels, then crop back at a random offset (0: off). */
  readonly padCrop?: number;
  readonly flip?: boolean;
}

/** Augments a batch of NHWC images deterministically for a seed. */
export function augmentBatch(x: tf.Tensor4D, spec: AugmentSpec, seed: number): tf.Tensor4D {
  const rng = mulberry32(seed);
  const [n, h, w] = x.shape;
  return tf.tidy(() => {
    let out = x;
    const p = spec.padCrop ?? 0;
    if (p > 0) {
      const padded = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]);
      const H = h + 2 * p - 1;
      const W = w + 2 * p - 1;
      const boxes: number[][] = [];
      for (let i = 0; i < n; i++) {
        const dy = Math.floor(rng() * (2 * p + 1));
        const dx = Math.floor(rng() * (2 * p + 1));
        boxes.push([dy / H, dx / W, (dy + h - 1) / H, (dx + w - 1) / W]);
      }
      const indices = Array.from({ length: n }, (_, i) => i);
      out = tf.image.cropAndResize(padded, boxes, indices, [h, w], 'nearest');
    }
    if (spec.flip) {
      // where() broadcasts from the trailing axis, so the per-image mask is [n, 1, 1, 1].
      const flags = Array.from({ length: n }, () => rng() < 0.5);
      const mask = tf.tensor4d(flags, [n, 1, 1, 1], 'bool');
      out = tf.where(tf.broadcastTo(mask, out.shape), tf.image.flipLeftRight(out), out);
    }
    return out;
  });
}
