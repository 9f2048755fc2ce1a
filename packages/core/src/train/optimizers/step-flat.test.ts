import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../runtime/backend.js';
import { createOptimizer, type OptimizerSpec } from './index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Two copies of the same variables, one stepped with `step`, the other with `stepFlat`, on the same gradients. */
function compare(spec: OptimizerSpec, steps: number): { a: number[][]; b: number[][]; leaked: number } {
  const init = [tf.tensor2d([[0.5, -1.5], [2, 0.25]]), tf.tensor1d([0.1, -0.2, 0.3])];
  const a = init.map((t) => tf.variable(t.clone()));
  const b = init.map((t) => tf.variable(t.clone()));
  const oa = createOptimizer(spec, a);
  const ob = createOptimizer(spec, b);
  const before = tf.memory().numTensors;
  for (let s = 0; s < steps; s++) {
    const grads = [tf.tensor2d([[s + 1, -0.5], [0.25, -s]]), tf.tensor1d([0.3, s * 0.1, -1])];
    const flat = new Float32Array([...grads[0].dataSync(), ...grads[1].dataSync()]);
    tf.tidy(() => oa.step(grads, 0.05));
    ob.stepFlat(flat, 0.05);
    tf.dispose(grads);
  }
  const leaked = tf.memory().numTensors - before;
  const out = { a: a.map((v) => Array.from(v.dataSync())), b: b.map((v) => Array.from(v.dataSync())), leaked };
  [oa, ob].forEach((o) => o.dispose());
  tf.dispose([...a, ...b, ...init]);
  return out;
}

describe('Optimizer.stepFlat', () => {
  const specs: OptimizerSpec[] = [
    { type: 'sgd' },
    { type: 'sgd', momentum: 0.9, weightDecay: 5e-4 },
    { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
    { type: 'adam' },
    { type: 'adam', weightDecay: 1e-2, beta1: 0.8 },
  ];
  for (const spec of specs) {
    it(`makes the update step makes, up to rounding, and leaks nothing: ${JSON.stringify(spec)}`, () => {
      const { a, b, leaked } = compare(spec, 5);
      expect(leaked).toBe(0);
      a.forEach((w, i) => w.forEach((v, j) => expect(b[i][j]).toBeCloseTo(v, 5)));
    });
  }
});
