import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { QuantParams } from '../kernel/hook-types.js';
import { initBackend } from '../runtime/backend.js';
import { fakeQuant } from './fake-quant.js';

afterAll(async () => {
  await initBackend('wasm');
});

const perTensor: QuantParams = { bits: 4, qmin: 0, qmax: 15, axis: null, scale: Float32Array.of(0.1), zeroPoint: Float32Array.of(7) };
const perChannel: QuantParams = { bits: 4, qmin: -8, qmax: 7, axis: 3, scale: Float32Array.of(0.05, 0.3, 0.017), zeroPoint: Float32Array.of(0, 0, -1) };

/** The straight-through gradient written with comparisons and a select: what fakeQuant's must equal bit for bit. */
function selectGradient(x: tf.Tensor, dy: tf.Tensor, p: QuantParams): tf.Tensor {
  return tf.tidy(() => {
    const scale = p.axis === null ? tf.scalar(p.scale[0]) : tf.tensor1d(p.scale);
    const zeroPoint = p.axis === null ? tf.scalar(p.zeroPoint[0]) : tf.tensor1d(p.zeroPoint);
    const level = tf.add(tf.round(tf.div(x, scale)), zeroPoint);
    return tf.where(tf.logicalAnd(tf.greaterEqual(level, p.qmin), tf.lessEqual(level, p.qmax)), dy, tf.zerosLike(dy));
  });
}

const bits = (t: tf.Tensor): number[] => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));

describe('fakeQuant gradient', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`passes dy bit for bit where the level is on the grid and +0 elsewhere, as a select would, on ${backend}`, async () => {
      await initBackend(backend);
      for (const p of [perTensor, perChannel]) {
        const x = tf.mul(tf.randomNormal([4, 5, 5, 3], 0, 1, 'float32', 7), tf.tensor1d([1, 10, 0.5]));
        // Negative upstream gradients too, so that a stopped one would be -0 without the +0.
        const dy = tf.randomNormal(x.shape, 0, 1, 'float32', 3);
        const [ours, reference] = [tf.grad((v: tf.Tensor) => tf.sum(tf.mul(fakeQuant(v, p), dy)))(x), selectGradient(x, dy, p)];
        expect(bits(ours)).toEqual(bits(reference));
        const stopped = Array.from(ours.dataSync()).filter((g) => g === 0).length;
        expect(stopped).toBeGreaterThan(0);
        expect(stopped).toBeLessThan(x.size);
        tf.dispose([x, dy, ours, reference]);
      }
    });
  }
});
