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
      // One gather from the zero-padded batch. (tf.image.cropAndResize on the wasm
      // backend ignores the boxes' x offsets: every crop would shift the same way.)
      const c = x.shape[3];
      const H = h + 2 * p;
      const W = w + 2 * p;
      const padded = tf.reshape(tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]), [n * H * W, c]);
      const indices = new Int32Array(n * h * w);
      let k = 0;
      for (let i = 0; i < n; i++) {
        const dy = Math.floor(rng() * (2 * p + 1));
        const dx = Math.floor(rng() * (2 * p + 1));
        for (let r = 0; r < h; r++) for (let col = 0; col < w; col++) indices[k++] = (i * H + r + dy) * W + col + dx;
      }
      out = tf.reshape(tf.gather(padded, tf.tensor1d(indices, 'int32')), [n, h, w, c]);
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
