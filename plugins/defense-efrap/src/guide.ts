import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode } from '@qcb/core';
import type { EfrapOptions } from './options.js';
import type { FlipRounding } from './rounding.js';

/**
 * The mean magnitude of each input channel on the cached inputs, normalised to mean 1 and
 * laid out to broadcast over the head's channels-last weight view: conv [1, 1, cin, 1],
 * dense [in, 1], depthwise [1, 1, c * m] (each channel repeated for its m outputs).
 */
function inputChannelScale(node: GraphNode, inputs: tf.Tensor, viewShape: readonly number[]): tf.Tensor {
  return tf.tidy(() => {
    const axes = Array.from({ length: inputs.rank - 1 }, (_, i) => i);
    const magnitude = tf.mean(tf.abs(inputs), axes);
    const mean = tf.mean(magnitude).dataSync()[0];
    const scale = mean > 0 ? tf.div(magnitude, mean) : tf.onesLike(magnitude);
    const channels = scale.shape[0];
    if (node.op === 'depthwiseConv2d') {
      const m = viewShape[2] / channels;
      return tf.reshape(tf.tile(tf.reshape(scale, [channels, 1]), [1, m]), [1, 1, channels * m]);
    }
    if (node.op === 'dense') return tf.reshape(scale, [channels, 1]);
    return tf.reshape(scale, [1, 1, channels, 1]);
  });
}

/**
 * Per weight, how strongly the flip term pulls it to the rounding nearest rounding does not
 * take: its truncation error (the authors' `alpha = get_error(W)`), or with 'error-activation'
 * that error times its input channel's activation magnitude, the size of the error it leaves
 * in the unit's output.
 */
export function flipGuide(kind: EfrapOptions['flipGuide'], rounding: FlipRounding, node: GraphNode, inputs: tf.Tensor): tf.Tensor {
  if (kind === 'error') return tf.clone(rounding.error);
  return tf.tidy(() => tf.mul(rounding.error, inputChannelScale(node, inputs, rounding.error.shape)));
}
