import * as tf from '@tensorflow/tfjs-core';

/** Added to the map's norm (NAD's `at.py`). */
const EPS = 1e-6;

/**
 * The attention map of NHWC features (Zagoruyko & Komodakis; NAD's `AT.attention_map`):
 * sum over channels of |f|^p at each position, divided by its L2 norm over positions.
 * Returns [N, H x W].
 */
export function attentionMap(features: tf.Tensor, power = 2): tf.Tensor2D {
  return tf.tidy(() => {
    const n = features.shape[0];
    const magnitude = power === 2 ? tf.square(features) : tf.pow(tf.abs(features), power);
    const map = tf.reshape(tf.sum(magnitude, -1), [n, -1]);
    const norm = tf.sqrt(tf.sum(tf.square(map), 1, true));
    return tf.div(map, tf.add(norm, EPS)) as tf.Tensor2D;
  });
}

/** NAD's attention loss: the mean squared difference of two attention maps (`F.mse_loss`). */
export function attentionLoss(student: tf.Tensor2D, teacher: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(student, teacher))) as tf.Scalar);
}
