import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../runtime/backend.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNormTrain, perChannel } from './batch-norm-train.js';

beforeAll(async () => {
  // Registers the wasm backend (and qcb's kernels) for the test that compares on it.
  await initBackend('wasm');
  await tf.setBackend('cpu');
});

/** The same normalisation written with plain ops, differentiated by tfjs autodiff. */
function reference(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), g), b);
}

/** The closed-form gradient with broadcasting ops throughout (batchNormTrain before its per-channel terms became depthwise convolutions). */
function formerBatchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): tf.Tensor {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const count = x.size / x.shape[x.rank - 1];
  const fn = tf.customGrad(((xIn: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const { mean, variance } = tf.moments(xIn, axes);
    const rstd = tf.rsqrt(tf.add(variance, epsilon));
    const xHat = tf.mul(tf.sub(xIn, mean), rstd);
    save([xHat, rstd, g]);
    return {
      value: tf.add(tf.mul(xHat, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sxHat, srstd, sg] = saved;
        const dBeta = tf.sum(dy, axes);
        const dGamma = tf.sum(tf.mul(dy, sxHat), axes);
        const centred = tf.sub(tf.sub(dy, tf.div(dBeta, count)), tf.mul(sxHat, tf.div(dGamma, count)));
        return [tf.mul(centred, tf.mul(sg, srstd)), dGamma, dBeta];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return fn(x, gamma, beta);
}

describe('batchNormTrain', () => {
  for (const shape of [[3, 5, 4, 6], [7, 6]]) {
    it(`matches autodiff of the plain formula for shape ${JSON.stringify(shape)}`, () => {
      tf.tidy(() => {
        const c = shape[shape.length - 1];
        const x = tf.randomNormal(shape, 1, 2, 'float32', 1);
        const g = tf.randomUniform([c], 0.5, 1.5, 'float32', 2);
        const b = tf.randomUniform([c], -1, 1, 'float32', 3);
        const dy = tf.randomNormal(shape, 0, 1, 'float32', 4);
        const ours = tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(batchNormTrain(xi, gi as tf.Tensor1D, bi as tf.Tensor1D, 1e-3), dy)));
        const ref = tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(reference(xi, gi, bi, 1e-3), dy)));
        const a = ours([x, g, b]);
        const e = ref([x, g, b]);
        for (let i = 0; i < 3; i++) {
          expect(tf.max(tf.abs(tf.sub(a[i], e[i]))).dataSync()[0]).toBeLessThan(1e-4);
        }
        const y = batchNormTrain(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
        expect(tf.max(tf.abs(tf.sub(y, reference(x, g, b, 1e-3)))).dataSync()[0]).toBeLessThan(1e-5);
      });
    });
  }

  it('gives the floats of tf.moments and the broadcasting formula on wasm, forward and backward', async () => {
    await tf.setBackend('wasm');
    try {
      for (const shape of [[4, 6, 5, 8], [9, 7], [3, 4, 6]]) {
        tf.tidy(() => {
          const c = shape[shape.length - 1];
          const x = tf.randomNormal(shape, 0.7, 3, 'float32', 11);
          const g = tf.randomUniform([c], 0.5, 1.5, 'float32', 12);
          const b = tf.randomUniform([c], -1, 1, 'float32', 13);
          const dy = tf.randomNormal(shape, 0, 1, 'float32', 14);
          const stats: number[][] = [];
          const ours = tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(batchNormTrain(xi, gi as tf.Tensor1D, bi as tf.Tensor1D, 1e-3, (m, v) => {
            stats.push([...m.dataSync(), ...v.dataSync()]);
          }), dy)));
          const broadcasting = tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(formerBatchNormTrain(xi, gi as tf.Tensor1D, bi as tf.Tensor1D, 1e-3), dy)));
          // +0 and -0 compare equal: a product by 0 plus a zero bias may lose the sign.
          const floats = (t: tf.Tensor): number[] => Array.from(t.dataSync(), (v) => v + 0);
          const a = ours([x, g, b]);
          const e = broadcasting([x, g, b]);
          for (let i = 0; i < 3; i++) expect(floats(a[i])).toEqual(floats(e[i]));
          expect(floats(batchNormTrain(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3))).toEqual(floats(formerBatchNormTrain(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3)));
          const { mean, variance } = tf.moments(x, Array.from({ length: x.rank - 1 }, (_, i) => i));
          expect(stats[0]).toEqual([...mean.dataSync(), ...variance.dataSync()]);
        });
      }
    } finally {
      await tf.setBackend('cpu');
    }
  });

  it('reports the batch statistics it normalised with', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([[1, 10], [3, 14]]);
      let seen: number[] = [];
      batchNormTrain(x, tf.ones([2]) as tf.Tensor1D, tf.zeros([2]) as tf.Tensor1D, 1e-3, (m, v) => {
        seen = [...m.dataSync(), ...v.dataSync()];
      });
      expect(seen).toEqual([2, 12, 1, 4]);
    });
  });

  it('runs an inference-mode x * scale + shift (perChannel) to the floats of the broadcasting ops on wasm, and differentiates it', async () => {
    await tf.setBackend('wasm');
    try {
      for (const shape of [[4, 6, 5, 8], [9, 7], [3, 4, 6]]) {
        tf.tidy(() => {
          const c = shape[shape.length - 1];
          const x = tf.randomNormal(shape, 0.7, 3, 'float32', 21);
          const scale = tf.randomUniform([c], -1.5, 1.5, 'float32', 22);
          const shift = tf.randomUniform([c], -1, 1, 'float32', 23);
          const dy = tf.randomNormal(shape, 0, 1, 'float32', 24);
          expect(Array.from(perChannel(x, scale, shift).dataSync())).toEqual(Array.from(tf.add(tf.mul(x, scale), shift).dataSync()));
          const ours = tf.grads((xi: tf.Tensor, si: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(perChannel(xi, si, bi), dy)))([x, scale, shift]);
          const plain = tf.grads((xi: tf.Tensor, si: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.mul(xi, si), bi), dy)))([x, scale, shift]);
          ours.forEach((g, i) => expect(tf.max(tf.abs(tf.sub(g, plain[i]))).dataSync()[0]).toBeLessThan(1e-4));
        });
      }
    } finally {
      await tf.setBackend('cpu');
    }
  });
});
