import '../../tfjs-setup.js';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { meanGradConfig, sumGradConfig } from './reduction-gradients.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const x = () => tf.tensor4d(Array.from({ length: 2 * 3 * 3 * 4 }, (_, i) => Math.sin(i) * 3), [2, 3, 3, 4]);

describe('reduction gradients', () => {
  it('replace tfjs Sum and Mean gradients once a backend is initialised', () => {
    expect(tf.getGradient(tf.Sum)).toBe(sumGradConfig);
    expect(tf.getGradient(tf.Mean)).toBe(meanGradConfig);
  });

  it('give the broadcast of dy (Sum) and dy over the reduced size (Mean)', () => {
    const w = tf.tensor1d([0.5, -1, 2]);
    const [sumGrad, meanGrad] = tf.tidy(() => [
      tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mean(tf.sum(t, [1, 2]), 1), tf.slice(w, 0, 2))))(x()),
      tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mean(t, [0, 3]), tf.reshape(w, [3, 1]))))(x()),
    ]);
    // d/dt of sum_b w_b * mean_c(sum_hw t[b,h,w,c]) is w_b / 4 everywhere in sample b.
    const s = sumGrad.arraySync() as number[][][][];
    expect(s[0][1][2][3]).toBeCloseTo(0.5 / 4, 6);
    expect(s[1][0][0][0]).toBeCloseTo(-1 / 4, 6);
    // d/dt of sum_h w_h * sum_w mean_bc(t) is w_h / 8 in row h.
    const m = meanGrad.arraySync() as number[][][][];
    expect(m[0][0][1][2]).toBeCloseTo(0.5 / 8, 6);
    expect(m[1][2][0][3]).toBeCloseTo(2 / 8, 6);
    tf.dispose([w, sumGrad, meanGrad]);
  });

  it('are differentiable again (second order, as I-BAU needs)', () => {
    // f(t) = sum(t^2 * t) over axes; the gradient of sum(grad f) is 6t.
    const g2 = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.grad((u: tf.Tensor) => tf.mean(tf.sum(tf.mul(tf.square(u), u), [1, 2]), 0))(t)))(x()));
    const want = tf.tidy(() => tf.mul(x(), 6 / 2));
    expect(Array.from(g2.dataSync())).toEqual(Array.from(want.dataSync()).map((v) => expect.closeTo(v, 4)));
    tf.dispose([g2, want]);
  });
});
