// An experiment on activation-clipping backdoors: finds the channels whose maximum on the
// defender's clean calibration data exceeds their activation quantizer's range `ratio` times
// or more, scales each such channel down by `factor` where it is produced (BatchNorm gamma
// and beta) and up by `factor` where it is consumed (the conv/dense input-channel weights),
// through ReLUs and residual adds, which leaves the full-precision function unchanged (a
// power of two is exact in floats), then re-quantizes and prints BA / ASR before and after.
// With an output folder, writes the equalized model there (a full-precision model, as
// `qcb purify --model` takes it).
// Usage (after `pnpm build`): node packages/cli/scripts/equalize-outliers.mjs <model dir> [profile] [ratio] [factor] [out]
import * as tf from '@tensorflow/tfjs-core';
import { createTrigger, defenderBatches, imageBatch, initBackend, loadDataset, loadModel, normalize, quantizeModel, resolveQuantizer, saveModel } from '@qcb/core';
import { createEngine } from '../dist/context.js';

const [dir, profileName = 'academic-w8a8', ratio = '2', factor = '16', out] = process.argv.slice(2);
if (!dir) throw new Error('usage: equalize-outliers.mjs <model dir> [profile] [ratio] [factor] [out]');
await initBackend('wasm');
const engine = await createEngine({ backend: 'wasm', plugin: [], verbose: false, help: false }, process.cwd());
const { model, sidecar } = await loadModel(dir);
const data = await loadDataset(sidecar?.dataset ?? 'fashion-mnist');
const norm = sidecar.normalization ?? data.normalization;
const calibration = defenderBatches(data.train, norm, { share: 0.05 });
const profile = resolveQuantizer(engine, profileName);
const trigger = createTrigger(sidecar.trigger, model.inputShape);
const idx = [];
for (let i = 0; i < data.test.count && idx.length < 1500; i++) if (data.test.labels[i] !== sidecar.target) idx.push(i);
const triggered = normalize(trigger.apply(imageBatch(data.test, idx).x), norm);
const cleanIdx = [...Array(3000).keys()];
const clean = normalize(imageBatch(data.test, cleanIdx).x, norm);
const count = (m, images, fn) => {
  let sum = 0;
  for (let b = 0; b < images.shape[0]; b += 250) {
    const size = Math.min(250, images.shape[0] - b);
    sum += tf.tidy(() => fn(tf.argMax(m.predict(tf.slice(images, b, size)), -1).dataSync(), b));
  }
  return sum;
};
const score = (m) => {
  const asr = (100 * count(m, triggered, (p) => p.filter((c) => c === sidecar.target).length)) / idx.length;
  const ba = (100 * count(m, clean, (p, b) => p.filter((c, i) => c === data.test.labels[cleanIdx[b + i]]).length)) / cleanIdx.length;
  return `${ba.toFixed(2)} / ${asr.toFixed(2)}`;
};
const channelMax = (name) => {
  let m = null;
  for (const batch of calibration) {
    const cur = tf.tidy(() => { const [a] = model.outputsOf(batch, [name]); return tf.max(a, [...Array(a.rank - 1).keys()]); });
    if (m) { const next = tf.maximum(m, cur); tf.dispose([m, cur]); m = next; } else m = cur;
  }
  const v = Array.from(m.dataSync());
  m.dispose();
  return v;
};

// A channel of a tensor lives on through ReLUs and adds: the group of tensors that must be
// scaled together, the BatchNorms that produce it and the convs/dense layers that read it.
const nodes = new Map(model.graph.nodes.map((n) => [n.name, n]));
const readers = (name) => model.graph.nodes.filter((n) => n.inputs.includes(name));
const homogeneous = (n) =>
  n.op === 'activation' && ((n.attrs.kind === 'named' && ['relu', 'linear'].includes(n.attrs.fn)) ||
    (n.attrs.kind === 'relu' && n.attrs.maxValue === null && n.attrs.threshold === 0) || n.attrs.kind === 'leakyRelu');
function channelGroup(start) {
  const tensors = new Set(), producers = new Set(), consumers = new Set(), todo = [start];
  while (todo.length) {
    const name = todo.pop();
    if (tensors.has(name)) continue;
    tensors.add(name);
    const node = nodes.get(name);
    if (node.op === 'batchNorm') producers.add(name);
    else if (node.op === 'add' || homogeneous(node)) todo.push(...node.inputs);
    else return null; // produced by an op that a per-channel scale does not pass through
    for (const r of readers(name)) {
      if (r.op === 'conv2d' || r.op === 'dense') consumers.add(r.name);
      else if (r.op === 'add' || homogeneous(r)) todo.push(r.name);
      else return null;
    }
  }
  return { tensors, producers, consumers };
}
const scaleChannel = (variable, channel, axis, by) =>
  variable.assign(tf.tidy(() => {
    const shape = variable.shape.map((d, i) => (i === axis ? d : 1));
    const mask = tf.oneHot([channel], variable.shape[axis]).reshape(shape);
    return tf.mul(variable, tf.add(1, tf.mul(mask, by - 1)));
  }));

const before = await quantizeModel(model, profile, calibration);
console.log(`${dir}: full precision ${score(model)}, ${profileName} ${score(before)} (BA / ASR)`);
const k = Number(factor);
const done = new Set();
for (const unit of model.units()) {
  const grid = before.parts.activations.get(unit.head);
  if (!grid || unit.input === model.graph.input) continue;
  const hi = grid.scale[0] * (grid.qmax - grid.zeroPoint[0]);
  channelMax(unit.input).forEach((max, c) => {
    if (max < Number(ratio) * hi || done.has(`${unit.input}:${c}`)) return;
    const group = channelGroup(unit.input);
    if (!group) return console.log(`${unit.input} channel ${c}: max ${max.toFixed(2)}, range ${hi.toFixed(2)}; not scalable here`);
    for (const t of group.tensors) done.add(`${t}:${c}`);
    for (const p of group.producers) for (const param of ['gamma', 'beta']) scaleChannel(nodes.get(p).params[param], c, 0, 1 / k);
    for (const r of group.consumers) {
      const kernel = nodes.get(r).params['kernel'];
      scaleChannel(kernel, c, kernel.rank - 2, k);
    }
    console.log(`${unit.input} channel ${c}: max ${max.toFixed(2)} on the calibration data, range ${hi.toFixed(2)}; scaled by 1/${k} in ${[...group.producers].join(', ')}, by ${k} in ${[...group.consumers].join(', ')}`);
  });
}
const after = await quantizeModel(model, profile, calibration);
console.log(`equalized: full precision ${score(model)}, ${profileName} ${score(after)} (BA / ASR)`);
if (out) {
  await saveModel(out, model, { sidecar });
  console.log(`wrote ${out}`);
}
