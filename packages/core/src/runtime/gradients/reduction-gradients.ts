import * as tf from '@tensorflow/tfjs-core';

/**
 * The gradients of Sum and Mean as tfjs registers them (dy reshaped to keep the reduced axes,
 * times ones of the input's shape; Mean's divided by the reduced size), with the ones made by
 * the backend's Fill kernel instead of tf.ones. tf.ones builds its values in JavaScript: a new
 * Float32Array of the input's size, zeroed and filled, then copied into the backend. A LAC
 * step's reconstruction sums an activation-sized tensor and PDA takes per-sample moments, so
 * each of their steps allocated activation-sized buffers; on a pool the workers' page faults
 * on them contend for the process's memory map. The values, and the
 * graph a second-order gradient differentiates, are the same.
 */
function broadcastDy(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): tf.Tensor {
  const kept = x.shape.slice();
  for (const a of tf.util.parseAxisParam(axis, x.shape)) kept[a] = 1;
  return tf.mul(tf.reshape(dy, kept), tf.fill(x.shape, 1, 'float32'));
}

function reducedSize(x: tf.Tensor, axis: number | number[]): number {
  return tf.util.parseAxisParam(axis, x.shape).reduce((n, a) => n * x.shape[a], 1);
}

export const sumGradConfig: tf.GradConfig = {
  kernelName: tf.Sum,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const derX = broadcastDy(dy as tf.Tensor, x, (attrs as unknown as tf.SumAttrs).axis);
    return { x: () => derX };
  },
};

export const meanGradConfig: tf.GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const { axis } = attrs as unknown as tf.MeanAttrs;
    return { x: () => tf.div(broadcastDy(dy as tf.Tensor, x, axis), reducedSize(x, axis)) };
  },
};

/** Installs the Sum and Mean gradients above over tfjs's own; safe to call repeatedly. */
export function registerReductionGradients(): void {
  for (const config of [sumGradConfig, meanGradConfig]) {
    if (tf.getGradient(config.kernelName) !== config) tf.registerGradient(config);
  }
}
