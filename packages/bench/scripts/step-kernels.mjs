// Kernel by kernel, where one thread's training step of resnet-small goes (the step
// `pnpm bench` times: batch 32, SGD with momentum and weight decay, BN in training mode), on
// wasm: tf.profile of each step, kernels counted by their own time (a kernel that core builds
// from other ops, such as the convolutions' gradients, is charged its whole time once and its
// inner kernels are listed apart), against the step's wall time unprofiled; what is not in a
// kernel is tfjs's dispatch, the tape and the gradient bookkeeping in JavaScript.
// torch/resnet_small_profile.py prints PyTorch's step the same way.
//   node packages/bench/scripts/step-kernels.mjs [--batch 32] [--steps 20]   (run `pnpm build` first)
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Sgd, classificationStep, initBackend, variableKeys } from '@qcb/core';
import { resnetSmall } from '@qcb/models';

const { values } = parseArgs({ options: { batch: { type: 'string', default: '32' }, steps: { type: 'string', default: '20' } } });
const batch = Number(values.batch);
const steps = Number(values.steps);
await initBackend('wasm');
const model = resnetSmall({ seed: 3 });
const optimizer = new Sgd(variableKeys(model).variables, { type: 'sgd', momentum: 0.9, weightDecay: 5e-4 });
const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 1);
const y = tf.randomUniform([batch], 0, 10, 'int32', 2);
const step = () => classificationStep(model, optimizer, x, y, 0.01);

// The engine records a kernel run inside another kernel too; its depth says which is which.
const records = [];
const profiler = tf.engine().profiler;
const profileKernel = profiler.profileKernel.bind(profiler);
let depth = 0;
profiler.profileKernel = (name, inputs, f) => {
  const d = depth++;
  try {
    const p = profileKernel(name, inputs, f);
    records.push({ name, depth: d, time: p.timeMs });
    return p;
  } finally {
    depth--;
  }
};

for (let i = 0; i < 60; i++) await step();
const wall = [];
for (let i = 0; i < steps; i++) {
  const t = performance.now();
  await step();
  wall.push(performance.now() - t);
}
wall.sort((a, b) => a - b);
for (let i = 0; i < steps; i++) await tf.profile(step);
const own = new Map();
const inner = new Map();
for (const r of records) {
  const table = r.depth === 0 ? own : inner;
  const e = table.get(r.name) ?? { ms: 0, n: 0 };
  e.ms += await r.time;
  e.n++;
  table.set(r.name, e);
}
const print = (table) => {
  const rows = [...table].sort((a, b) => b[1].ms - a[1].ms);
  for (const [name, e] of rows) console.log(`  ${(e.ms / steps).toFixed(2).padStart(7)} ms  x${String(Math.round(e.n / steps)).padStart(3)}  ${name}`);
  return rows.reduce((s, [, e]) => s + e.ms / steps, 0);
};
console.log(`resnet-small, batch ${batch}, one thread on wasm: median step ${wall[steps >> 1].toFixed(1)} ms unprofiled`);
console.log('kernels the step runs (own time, per step):');
const total = print(own);
console.log(`  ${total.toFixed(2).padStart(7)} ms  in kernels; ${(wall[steps >> 1] - total).toFixed(1)} ms of the median step outside them`);
console.log('inside the kernels core builds from ops (already counted above):');
print(inner);
process.exit(0);
