// Kernel by kernel, where one LAC step's time goes (tf.profile, wasm, this thread): the
// forward Q(W + alpha) of a unit of test/fixtures/models/pqbackdoor-w4 on a batch of its
// cached inputs, the output quantizer, the squared-Euclidean reconstruction and its gradient
// with respect to alpha, as lac.ts runs it. Prints the kernels by total time over 20 steps.
//   UNIT=1 BATCH=32 node packages/bench/scripts/lac-step-kernels.mjs   (run `pnpm build` first)
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { GraphModel, HostRows, QuantizedModel, cloneGraph, unitOutputQuantizer, weightParamOf } from '@qcb/core';
import { probeQuantized } from './probe-quantized.mjs';

const { model, calibration, q } = await probeQuantized(256);
const work = new QuantizedModel({ ...q.parts, model: new GraphModel(cloneGraph(q.model.graph)), weightsOnGrid: false });
const unit = work.model.units()[Number(process.env.UNIT ?? 1)];
const batch = Number(process.env.BATCH ?? 32);
const inputs = HostRows.fromTensors([tf.tidy(() => work.model.outputsOf(calibration, [unit.input], { transform: work.transform() })[0])]);
const targets = HostRows.fromTensors([tf.tidy(() => model.outputsOf(calibration, [unit.output])[0])]);
const head = work.model.node(unit.head);
const alpha = tf.variable(tf.zerosLike(head.params[weightParamOf(head)]));
const outputQuant = unitOutputQuantizer(work, unit);
const transform = {
  param: (node, name, value) => (name !== weightParamOf(node) ? value : work.quantizeWeight(node.name, node.name === unit.head ? tf.add(value, alpha) : value)),
};
const rows = Array.from({ length: batch }, (_, i) => (i * 37) % inputs.count);
const step = () => tf.tidy(() => {
  const { grads } = tf.variableGrads(() => {
    const out = outputQuant(work.model.runUnit(unit, inputs.gather(rows), { transform }));
    return tf.mean(tf.sum(tf.square(tf.sub(out, targets.gather(rows))), [1, 2, 3]));
  }, [alpha]);
  grads[alpha.name].dataSync();
});
for (let i = 0; i < 10; i++) step();
const totals = new Map();
let wall = 0;
const R = 20;
for (let r = 0; r < R; r++) {
  const t = performance.now();
  const p = await tf.profile(step);
  wall += performance.now() - t;
  for (const k of p.kernels) {
    const key = `${k.name} ${JSON.stringify(k.outputShapes[0] ?? [])}`;
    const e = totals.get(key) ?? { ms: 0, n: 0 };
    e.ms += Number(await k.kernelTimeMs);
    e.n++;
    totals.set(key, e);
  }
}
const rowsOut = [...totals].sort((a, b) => b[1].ms - a[1].ms);
const sum = rowsOut.reduce((s, [, e]) => s + e.ms, 0);
console.log(`${unit.head} batch ${batch}: ${(wall / R).toFixed(1)} ms a profiled step, kernels ${(sum / R).toFixed(1)} ms`);
for (const [key, e] of rowsOut.slice(0, 25)) console.log(`${(e.ms / R).toFixed(2).padStart(7)} ms  x${(e.n / R).toFixed(0).padStart(2)}  ${key}`);
process.exit(0);
