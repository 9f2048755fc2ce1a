// Wall time and CPU time of each thread per training step of resnet-small (batch 32, SGD
// with momentum and weight decay, BN in training mode, 28x28x1), the step `pnpm bench` times:
// on the calling thread alone (classificationStep), at batch 32 / N (one participant's shard)
// and data-parallel on N threads (ParallelClassifier: this one and N - 1 pool workers), in
// alternating rounds of a few steps each, so that a change in the machine's load moves all
// three alike. CPU per thread shows what each thread does with its share.
//   node packages/bench/scripts/step-profile.mjs [--threads N] [--rounds N] [--per-round N] [--batch N] [--by-round]
// --by-round also prints each round's median wall time (how the N-thread step warms up).
// Run `pnpm build` first.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { ParallelClassifier, Sgd, StepPool, classificationStep, initBackend, variableKeys } from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { threadCpuSeconds } from './thread-times.mjs';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' }, rounds: { type: 'string', default: '8' }, 'per-round': { type: 'string', default: '5' }, batch: { type: 'string', default: '32' },
    'by-round': { type: 'boolean', default: false },
  },
});
const threads = Number(values.threads);
const rounds = Number(values.rounds);
const perRound = Number(values['per-round']);
const batch = Number(values.batch);
await initBackend('wasm');

/** A model, its optimizer and a fixed batch; `step()` one training step on this thread or the pool. */
async function trainer(b, n) {
  const model = resnetSmall({ seed: 3 });
  const optimizer = new Sgd(variableKeys(model).variables, { type: 'sgd', momentum: 0.9, weightDecay: 5e-4 });
  const x = tf.randomUniform([b, 28, 28, 1], 0, 1, 'float32', 1);
  const y = tf.randomUniform([b], 0, 10, 'int32', 2);
  const parallel = n > 1 ? await ParallelClassifier.open(model, optimizer, { maxBatch: b, threads: n }) : null;
  return {
    step: async () => (parallel ? await parallel.step(x, y, 0.01) : classificationStep(model, optimizer, x, y, 0.01)),
    dispose: async () => {
      await parallel?.close();
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
    },
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const cpuPerThread = (before, steps) =>
  [...threadCpuSeconds()].map(([tid, t]) => [tid === String(process.pid) ? 'calling' : tid, ((t - (before.get(tid) ?? 0)) * 1e3) / steps]).filter(([, ms]) => ms > 0.5);
const describe = (per) => `CPU/step ${per.reduce((n, [, ms]) => n + ms, 0).toFixed(1)} ms (${per.map(([who, ms]) => `${who} ${ms.toFixed(1)}`).join(', ')})`;

const single = await trainer(batch, 1);
const shard = await trainer(batch / threads, 1);
const parallel = await trainer(batch, threads);
for (const t of [single, shard, parallel]) for (let i = 0; i < 5; i++) await t.step();

const walls = { single: [], shard: [], parallel: [] };
const cpu = { single: 0, shard: 0, parallel: 0 };
const perThread = {};
for (let r = 0; r < rounds; r++) {
  for (const [name, t] of [['single', single], ['shard', shard], ['parallel', parallel]]) {
    const before = threadCpuSeconds();
    for (let i = 0; i < perRound; i++) {
      const t0 = process.hrtime.bigint();
      await t.step();
      walls[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const per = cpuPerThread(before, perRound);
    for (const [who, ms] of per) perThread[name] = { ...perThread[name], [who]: (perThread[name]?.[who] ?? 0) + ms / rounds };
    cpu[name] += per.reduce((n, [, ms]) => n + ms, 0) / rounds;
  }
}
if (values['by-round']) for (const name of ['single', 'parallel']) process.stdout.write(`${name} by round: ${Array.from({ length: rounds }, (_, r) => median(walls[name].slice(r * perRound, (r + 1) * perRound)).toFixed(0)).join(' ')}\n`);
const line = (label, name) => `${label.padEnd(24)} wall median ${median(walls[name]).toFixed(1)} ms (min ${Math.min(...walls[name]).toFixed(1)}), ${describe(Object.entries(perThread[name]))}\n`;
process.stdout.write(line(`1 thread, batch ${batch}`, 'single'));
process.stdout.write(line(`1 thread, batch ${batch / threads}`, 'shard'));
process.stdout.write(line(`${threads} threads, batch ${batch}`, 'parallel'));
process.stdout.write(`${threads} threads / 1: ${(median(walls.single) / median(walls.parallel)).toFixed(2)}x by wall medians, ${(cpu.single / cpu.parallel * threads).toFixed(2)}x by CPU (were every core free)\n`);
for (const t of [single, shard, parallel]) await t.dispose();
await StepPool.closeIdle();
