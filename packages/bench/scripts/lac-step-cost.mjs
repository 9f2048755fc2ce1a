// CPU time of one LAC step (the forward Q(W + alpha) of a unit on its cached inputs, the
// output quantizer, the squared-Euclidean reconstruction and its gradient with respect to
// alpha) on three units of test/fixtures/models/pqbackdoor-w4, with a cache of 1,024 samples
// as LAC holds it (host memory, core's HostRows), at batch 32 (LAC's), 16 (each of two
// workers' shard), 8 and 1, on this thread alone: how a step's cost follows its batch; what
// picking the batch's rows costs with tf.gather on the cache as one tensor instead; then the
// CPU of each thread per step of batch 32 on a pool of two workers (LAC's parallel-unit.ts,
// as `--threads 2` runs it: 40 steps in one call).
//   node packages/bench/scripts/lac-step-cost.mjs        (run `pnpm build` first)
// The grids are a 4-bit per-channel min-max quantization of the fixture on random inputs:
// the cost of a step does not depend on their values.
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { GraphModel, HostRows, QuantizedModel, StepPool, cloneGraph, unitOutputQuantizer, weightParamOf } from '@qcb/core';
import { ParallelUnit } from '../../../plugins/defense-lac/dist/parallel-unit.js';
import { probeQuantized } from './probe-quantized.mjs';
import { threadCpuSeconds } from './thread-times.mjs';

const { model, calibration, q } = await probeQuantized(1024, 128);
/** A node's output on the 1,024 samples, 128 at a time, as one tensor. */
const outputOf = (m, name, o = {}) => {
  const pieces = [];
  for (let s = 0; s < 1024; s += 128) pieces.push(tf.tidy(() => m.outputsOf(tf.slice(calibration, s, 128), [name], o)[0]));
  const whole = tf.concat(pieces);
  tf.dispose(pieces);
  return whole;
};
const units = model.units();
for (const unit of [units[1], units[4], units[7]]) {
  const inputs = outputOf(q.model, unit.input, { transform: q.transform() });
  const targets = outputOf(model, unit.output);
  const hostInputs = HostRows.fromTensors([inputs]);
  const hostTargets = HostRows.fromTensors([targets]);
  const head = q.model.node(unit.head);
  const alpha = tf.variable(tf.zerosLike(head.params[weightParamOf(head)]));
  const outputQuant = unitOutputQuantizer(q, unit);
  const transform = {
    param: (node, name, value) => (name !== weightParamOf(node) ? value : q.quantizeWeight(node.name, node.name === unit.head ? tf.add(value, alpha) : value)),
  };
  const costs = [];
  for (const batch of [32, 16, 8, 1]) {
    const rows = Array.from({ length: batch }, (_, i) => (i * 37) % 1024);
    const step = () => tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const out = outputQuant(q.model.runUnit(unit, hostInputs.gather(rows), { transform }));
        return tf.mean(tf.square(tf.sub(out, hostTargets.gather(rows))));
      }, [alpha]);
      grads[alpha.name].dataSync();
      return value.dataSync()[0];
    });
    for (let i = 0; i < 5; i++) step();
    const start = process.cpuUsage();
    const repeats = 40;
    for (let i = 0; i < repeats; i++) step();
    const used = process.cpuUsage(start);
    costs.push(`batch ${batch} ${((used.user + used.system) / repeats / 1000).toFixed(1)} ms`);
  }
  const cpuMs = (f, repeats = 20) => {
    f();
    const start = process.cpuUsage();
    for (let i = 0; i < repeats; i++) f();
    const used = process.cpuUsage(start);
    return ((used.user + used.system) / repeats / 1000).toFixed(2);
  };
  const rows32 = Array.from({ length: 32 }, (_, i) => (i * 37) % 1024);
  const picked = `rows of batch 32: tf.gather on the cache tensor ${cpuMs(() => tf.tidy(() => [tf.gather(inputs, rows32), tf.gather(targets, rows32)].forEach((t) => t.dataSync())))} ms, host rows ${cpuMs(() => tf.tidy(() => [hostInputs.gather(rows32), hostTargets.gather(rows32)].forEach((t) => t.dataSync())))} ms`;
  process.stdout.write(`${unit.head.padEnd(22)} input ${inputs.shape.slice(1).join('x').padEnd(9)} ${costs.join(', ')}; ${picked}\n`);
  tf.dispose([inputs, targets, alpha]);
}

/** Milliseconds of CPU per thread of this process. */
function threadTimes() {
  return new Map([...threadCpuSeconds()].map(([tid, s]) => [tid, s * 1e3]));
}

const work = new QuantizedModel({ ...q.parts, model: new GraphModel(cloneGraph(q.model.graph)), weightsOnGrid: false });
const pool = await StepPool.start(2);
for (const unit of [units[1], units[4], units[7]]) {
  const inputs = outputOf(work.model, unit.input, { transform: work.transform() });
  const targets = outputOf(model, unit.output);
  const head = work.model.node(unit.head);
  const alpha = tf.variable(tf.zerosLike(head.params[weightParamOf(head)]));
  const host = { inputs: HostRows.fromTensors([inputs], { shared: true }), targets: HostRows.fromTensors([targets], { shared: true }) };
  const options = { quantizeOutput: true, scoreBatch: 64, stepBatch: 32, shift: 0, shiftSeed: 0 };
  const parallel = await ParallelUnit.start(pool, work, unit, { ...host, scoredInputs: host.inputs }, alpha, options);
  const batches = (n) => Array.from({ length: n }, (_, s) => Array.from({ length: 32 }, (_, i) => (s * 32 + i * 37) % 1024));
  await parallel.steps(batches(5), 1e-3, 0);
  const before = threadTimes();
  const repeats = 40;
  const wall = performance.now();
  await parallel.steps(batches(repeats), 1e-3, 5);
  const wallMs = (performance.now() - wall) / repeats;
  const per = [...threadTimes()].map(([tid, t]) => [tid === String(process.pid) ? 'calling' : `thread ${tid}`, (t - (before.get(tid) ?? 0)) / repeats]).filter(([, ms]) => ms > 1);
  process.stdout.write(`${unit.head.padEnd(22)} pool of 2, batch 32: ${wallMs.toFixed(1)} ms a step; CPU ${per.map(([who, ms]) => `${who} ${ms.toFixed(1)} ms`).join(', ')}\n`);
  tf.dispose([inputs, targets, alpha]);
}
await pool.close();
await StepPool.closeIdle();
process.exit(0);
