// Where an I-BAU outer step's time goes, on the calling thread (the fast preset's shapes: outer
// batch 128, inner batch 32, K = 5): the outer loss's gradient (model and delta), one
// Hessian-vector product, and the mixed product, on test/fixtures/models/pqbackdoor-w4 with
// random images; the median of REPS (default 7) after two warm-ups each.
//   node packages/bench/scripts/ibau-step-parts.mjs   (run `pnpm build` first)
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadModel, variableKeys } from '@qcb/core';
import { exactSecondOrder, meanCrossEntropy, supportsExactSecondOrder } from '@qcb/defense-ibau';

await initBackend('wasm');
const { model } = await loadModel(resolve(fileURLToPath(import.meta.url), '../../../../test/fixtures/models/pqbackdoor-w4'));
const { variables } = variableKeys(model);
const outer = { x: tf.randomNormal([128, ...model.inputShape], 0, 1, 'float32', 1), y: tf.randomUniform([128], 0, 10, 'int32', 2) };
const inner = { x: tf.randomNormal([32, ...model.inputShape], 0, 1, 'float32', 3), y: tf.randomUniform([32], 0, 10, 'int32', 4) };
const delta = tf.variable(tf.randomNormal([1, ...model.inputShape], 0, 0.1, 'float32', 5), true);
const v = tf.randomNormal([1, ...model.inputShape], 0, 1, 'float32', 6);
const second = exactSecondOrder({ model, vars: variables, x: inner.x, y: inner.y, reg: 0.01 });
const reps = Number(process.env.REPS ?? 7);
const median = (f) => {
  const times = [];
  for (let r = 0; r < reps + 2; r++) {
    const t0 = performance.now();
    tf.tidy(() => { const out = f(); (Array.isArray(out) ? out : [out]).forEach((t) => t.dataSync()); });
    if (r >= 2) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
};
console.log(`exact second order: ${supportsExactSecondOrder(model)}`);
const parts = {
  'outer gradient (batch 128)': median(() => Object.values(tf.variableGrads(() => meanCrossEntropy(model.predict(tf.add(outer.x, delta)), outer.y), [...variables, delta]).grads)),
  'Hessian-vector product (inner 32)': median(() => second.hvp(delta, v)),
  'mixed product (inner 32)': median(() => second.mixed(delta, v)),
};
for (const [k, ms] of Object.entries(parts)) console.log(`${k.padEnd(36)} ${ms.toFixed(1)} ms`);
const step = parts['outer gradient (batch 128)'] + 4 * parts['Hessian-vector product (inner 32)'] + parts['mixed product (inner 32)'];
console.log(`an outer step (K = 5: four products and the mixed one): about ${step.toFixed(0)} ms; products' share ${(100 * (step - parts['outer gradient (batch 128)']) / step).toFixed(0)}%`);
