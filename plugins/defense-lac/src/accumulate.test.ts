import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@qcb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { accumulated } from './accumulate.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('micro-batched steps', () => {
  it('give the whole batch mean loss and gradient, leaving only the gradient', () => {
    const x = tf.randomNormal([10, 3], 0, 1, 'float32', 4);
    const w = tf.variable(tf.randomNormal([3, 2], 0, 1, 'float32', 5));
    const part = (rows: readonly number[]) => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.matMul(tf.gather(x, Array.from(rows)), w))) as tf.Scalar, [w]);
      return { value, grad: grads[w.name] };
    };
    const rows = [0, 3, 3, 9, 1, 4, 7];
    const before = tf.memory().numTensors;
    const whole = accumulated(rows, 32, part);
    const parts = accumulated(rows, 2, part);
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(parts.value).toBeCloseTo(whole.value, 5);
    const [a, b] = [whole.grad.dataSync(), parts.grad.dataSync()];
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 5));
    tf.dispose([whole.grad, parts.grad, x, w]);
  });
});
