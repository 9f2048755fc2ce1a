// Wall time and CPU time of each thread per training step of resnet-small (batch 32, SGD
// with momentum and weight decay, BN in training mode, 28x28x1): on the calling thread alone
// (classificationStep) and data-parallel on a pool of N workers (ParallelClassifier), the
// same steps `pnpm bench` times. CPU per thread shows what each thread does with its share.
//   node packages/bench/scripts/step-profile.mjs [--threads N] [--steps N] [--batch N]
// Run `pnpm build` first.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { ParallelClassifier, Sgd, StepPool, classificationStep, initBackend, variableKeys } from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { threadCpuSeconds } from './thread-times.mjs';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '2' }, steps: { type: 'string', default: '20' }, batch: { type: 'string', default: '32' } } });
const threads = Number(values.threads);
const steps = Number(values.steps);
const batch = Number(values.batch);
await initBackend('wasm');

async function profile(label, pool, b) {
  const model = resnetSmall({ seed: 3 });
  const optimizer = new Sgd(variableKeys(model).variables, { type: 'sgd', momentum: 0.9, weightDecay: 5e-4 });
  const x = tf.randomUniform([b, 28, 28, 1], 0, 1, 'float32', 1);
  const y = tf.randomUniform([b], 0, 10, 'int32', 2);
  const parallel = pool ? await ParallelClassifier.start(pool, model, optimizer, { maxBatch: b }) : null;
  const step = async () => (parallel ? await parallel.step(x, y, 0.01) : classificationStep(model, optimizer, x, y, 0.01));
  for (let i = 0; i < 3; i++) await step();
  const before = threadCpuSeconds();
  const walls = [];
  for (let i = 0; i < steps; i++) {
    const t0 = process.hrtime.bigint();
    await step();
    walls.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const per = [...threadCpuSeconds()]
    .map(([tid, t]) => [tid === String(process.pid) ? 'calling' : `${tid}`, ((t - (before.get(tid) ?? 0)) * 1e3) / steps])
    .filter(([, ms]) => ms > 0.5);
  walls.sort((a, b2) => a - b2);
  const total = per.reduce((n, [, ms]) => n + ms, 0);
  process.stdout.write(`${label.padEnd(22)} wall median ${walls[walls.length >> 1].toFixed(1)} ms (min ${walls[0].toFixed(1)}), CPU/step ${total.toFixed(1)} ms: ${per.map(([w, ms]) => `${w} ${ms.toFixed(1)}`).join(', ')}\n`);
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
}

await profile(`1 thread, batch ${batch}`, null, batch);
await profile(`1 thread, batch ${batch / threads}`, null, batch / threads);
const pool = await StepPool.start(threads);
await profile(`pool of ${threads}, batch ${batch}`, pool, batch);
await pool.close();
await StepPool.closeIdle();
