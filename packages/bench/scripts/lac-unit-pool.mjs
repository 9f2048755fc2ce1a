// LAC unit training as lac.ts runs it on the pool: CALLS calls of 100 steps (batch 32), a scoring between, for one unit;
// wall and per-thread CPU. UNIT index (default 1), CALLS (default 6).
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import * as core from '@qcb/core';
import { ParallelUnit } from '../../../plugins/defense-lac/dist/parallel-unit.js';
import { threadCpuSeconds } from './thread-times.mjs';
await core.initBackend('wasm');
const { model } = await core.loadModel('/work/main/test/fixtures/models/pqbackdoor-w4');
const W4A4 = { name: 'w4a4', description: 'probe', firstLastAt8Bits: false, foldBatchNorm: false,
  weights: { bits: 4, granularity: 'per-channel', symmetric: false, observer: 'minmax' },
  activations: { bits: 4, symmetric: false, observer: 'minmax', smoothing: { kind: 'extreme' } } };
const calibration = tf.randomNormal([1024, ...model.inputShape], 0, 1, 'float32', 1);
const q = await core.quantizeModel(model, W4A4, [tf.slice(calibration, 0, 128)]);
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
