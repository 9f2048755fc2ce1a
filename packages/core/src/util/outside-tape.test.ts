import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../runtime/backend.js';
import { outsideTape } from './outside-tape.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('outsideTape', () => {
  it('keeps a tape from holding the tensors of work that feeds no gradient, and leaves the gradient alone', () => {
    const w = tf.variable(tf.ones([64, 64]));
    const heavy = (x: tf.Tensor): number => tf.tidy(() => {
      let y = x;
      for (let i = 0; i < 20; i++) y = tf.mul(tf.add(y, 1), 0.5);
      return tf.sum(y).dataSync()[0];
    });
    const peak = (useOutside: boolean): { bytes: number; grad: number } => {
      let bytes = 0;
      const { value, grads } = tf.variableGrads(() => {
        const x = tf.square(w);
        useOutside ? outsideTape(() => heavy(x)) : heavy(x);
        bytes = tf.memory().numBytes;
        return tf.sum(x) as tf.Scalar;
      }, [w]);
      const grad = grads[w.name].dataSync()[0];
      tf.dispose([value, ...Object.values(grads)]);
      return { bytes, grad };
    };
    const taped = peak(false);
    const outside = peak(true);
    expect(outside.grad).toBe(taped.grad);
    expect(taped.bytes - outside.bytes).toBeGreaterThan(20 * 64 * 64 * 4);
    w.dispose();
  });
});
