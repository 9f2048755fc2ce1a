// One LAC unit's training as lac.ts runs it on a pool of two workers (parallel-unit.ts): CALLS
// calls of 100 steps of batch 32 (default 6), a scoring of the 1,024-sample cache after each,
// on unit UNIT (default 1) of test/fixtures/models/pqbackdoor-w4; prints the wall time and
// each thread's CPU, which shows what the workers wait for.
//   UNIT=1 CALLS=6 node packages/bench/scripts/lac-unit-pool.mjs   (run `pnpm build` first)
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import * as core from '@qcb/core';
import { ParallelUnit } from '../../../plugins/defense-lac/dist/parallel-unit.js';
import { probeQuantized } from './probe-quantized.mjs';
import { threadCpuSeconds } from './thread-times.mjs';
const { model, calibration, q } = await probeQuantized(1024, 128);
const outputOf = (m, name, o = {}) => { const p = []; for (let s = 0; s < 1024; s += 128) p.push(tf.tidy(() => m.outputsOf(tf.slice(calibration, s, 128), [name], o)[0])); const w = tf.concat(p); tf.dispose(p); return w; };
const work = new core.QuantizedModel({ ...q.parts, model: new core.GraphModel(core.cloneGraph(q.model.graph)), weightsOnGrid: false });
const unit = work.model.units()[Number(process.env.UNIT ?? 1)];
const inputs = outputOf(work.model, unit.input, { transform: work.transform() });
const targets = outputOf(model, unit.output);
const host = { inputs: core.HostRows.fromTensors([inputs], { shared: true }), targets: core.HostRows.fromTensors([targets], { shared: true }) };
const head = work.model.node(unit.head);
const alpha = tf.variable(tf.zerosLike(head.params[core.weightParamOf(head)]));
const pool = await core.StepPool.start(2);
const parallel = await ParallelUnit.start(pool, work, unit, { ...host, scoredInputs: host.inputs }, alpha, { quantizeOutput: true, scoreBatch: 128, stepBatch: 32, shift: 0, shiftSeed: 0 });
let seed = 1; const rng = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const batches = (n) => Array.from({ length: n }, () => Array.from({ length: 32 }, () => Math.floor(rng() * 1024)));
await parallel.steps(batches(100), 1e-3, 0); await parallel.score();
const calls = Number(process.env.CALLS ?? 6);
const before = threadCpuSeconds(); const t0 = performance.now(); let tSteps = 0, tScore = 0;
for (let c = 0; c < calls; c++) {
  const a = performance.now(); await parallel.steps(batches(100), 1e-3, 100 * (c + 1)); const b = performance.now(); await parallel.score(); const d = performance.now();
  tSteps += b - a; tScore += d - b;
}
const wall = (performance.now() - t0) / 1000;
const per = [...threadCpuSeconds()].map(([tid, t]) => [tid === String(process.pid) ? 'calling' : tid, t - (before.get(tid) ?? 0)]).filter(([, s]) => s > 0.05);
console.log(`${unit.head}: ${calls}x100 steps + scoring: wall ${wall.toFixed(2)} s (steps ${(tSteps / 1000).toFixed(2)}, scoring ${(tScore / 1000).toFixed(2)}); ${(wall * 1000 / calls / 100).toFixed(1)} ms/step; CPU ${per.map(([w, s]) => `${w} ${s.toFixed(2)}`).join(', ')}`);
await pool.close(); await core.StepPool.closeIdle(); process.exit(0);
