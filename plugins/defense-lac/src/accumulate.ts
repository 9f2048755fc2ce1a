import * as tf from '@tensorflow/tfjs-core';

/**
 * A batch's loss and gradient, computed `micro` rows at a time when the batch does not fit
 * memory at once (planUnitCache's stepBatch): each part's mean loss and gradient weighted by
 * its share of the batch and summed, which is the whole batch's mean. The caller disposes `grad`.
 */
export function accumulated(rows: readonly number[], micro: number, part: (rows: readonly number[]) => { value: tf.Scalar; grad: tf.Tensor }): { value: number; grad: tf.Tensor } {
  if (micro >= rows.length) {
    return tf.tidy(() => {
      const { value, grad } = part(rows);
      return { value: value.dataSync()[0], grad: tf.keep(grad) };
    });
  }
  let value = 0;
  let grad: tf.Tensor | null = null;
  for (let start = 0; start < rows.length; start += micro) {
    const sub = rows.slice(start, start + micro);
    const share = sub.length / rows.length;
    const next: tf.Tensor = tf.tidy(() => {
      const out = part(sub);
      value += out.value.dataSync()[0] * share;
      const weighted = tf.mul(out.grad, share);
      return grad ? tf.add(grad, weighted) : weighted;
    });
    grad?.dispose();
    grad = next;
  }
  return { value, grad: grad! };
}
