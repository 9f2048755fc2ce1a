// Where an activation-quantizer backdoor lives: the ASR with full-precision weights and
// only one of the profile's activation quantizers on (and with all but that one); then, for
// that quantizer alone, its clipping without its rounding and its rounding without its
// clipping, plus the share of clean and triggered activations it clips (a few clipped
// outliers can be the whole route). Given a quantized folder
// (with quant.json: `qcb quantize` or `qcb purify --out`), its own grids and weights are
// used instead (a purified model's corrected weights), and the profile argument is ignored.
// Usage (after `pnpm build`): node packages/cli/scripts/act-quantizer-asr.mjs <model dir> [profile] [images]
import * as tf from '@tensorflow/tfjs-core';
import {
  QuantizedModel, createTrigger, defenderBatches, imageBatch, initBackend, loadDataset, loadModel, normalize, quantizeModel, readQuantized, resolveQuantizer,
} from '@qcb/core';
import { createEngine } from '../dist/context.js';

const [dir, profileName = 'academic-w4a4', count = '1500'] = process.argv.slice(2);
if (!dir) throw new Error('usage: act-quantizer-asr.mjs <model dir> [profile] [images]');
await initBackend('wasm');
const engine = await createEngine({ backend: 'wasm', plugin: [], verbose: false, help: false }, process.cwd());
const { model: fp, sidecar } = await loadModel(dir);
const data = await loadDataset(sidecar?.dataset ?? 'fashion-mnist');
const norm = sidecar.normalization ?? data.normalization;
const stored = await readQuantized(dir, fp);
const q = stored ?? (await quantizeModel(fp, resolveQuantizer(engine, profileName), defenderBatches(data.train, norm, { share: 0.05 })));
const weightsLabel = stored ? "the folder's weights" : 'fp weights';
const trigger = createTrigger(sidecar.trigger, fp.inputShape);
const idx = [];
for (let i = 0; i < data.test.count && idx.length < Number(count); i++) if (data.test.labels[i] !== sidecar.target) idx.push(i);
const { x } = imageBatch(data.test, idx);
const clean = normalize(x, norm);
const triggered = normalize(trigger.apply(x), norm);
// The sum of fn(start, size) over the images in batches of 250, one tidy each: a whole
// pass's intermediates of a wide network do not fit the wasm heap six times over.
const sumOverBatches = (fn) => {
  let sum = 0;
  for (let s = 0; s < idx.length; s += 250) {
    const size = Math.min(250, idx.length - s);
    sum += tf.tidy(() => fn(s, size));
  }
  return sum;
};
const asrOf = (m) => {
  const hits = sumOverBatches((s, size) => tf.argMax(m.predict(tf.slice(triggered, s, size)), -1).dataSync().filter((c) => c === sidecar.target).length);
  return ((100 * hits) / idx.length).toFixed(2).padStart(6);
};
const all = q.parts.activations;
const withActs = (names) => new QuantizedModel({ ...q.parts, activations: new Map([...all].filter(([k]) => names.includes(k))), ...(stored ? {} : { weights: new Map() }) });
const weightsOnly = withActs([]).transform();
// The model with one function applied to the input of the compute node `name` (the weights
// as withActs gives them, every other activation in full precision).
const withInputFn = (name, fn) => ({
  predict: (images) => q.model.predict(images, { transform: { param: weightsOnly.param, inputs: (node, ins) => (node.name === name ? [fn(ins[0]), ...ins.slice(1)] : ins) } }),
});
const range = (p) => [p.scale[0] * (p.qmin - p.zeroPoint[0]), p.scale[0] * (p.qmax - p.zeroPoint[0])];
const clipOnly = (p) => (a) => tf.clipByValue(a, ...range(p));
const roundOnly = (p) => (a) => tf.mul(tf.sub(tf.add(tf.round(tf.div(a, p.scale[0])), p.zeroPoint[0]), p.zeroPoint[0]), p.scale[0]);
const clipped = (p, node, images) => {
  const [lo, hi] = range(p);
  const share = sumOverBatches((s, size) => {
    const [a] = fp.outputsOf(tf.slice(images, s, size), [node]);
    return size * tf.mean(tf.cast(tf.logicalOr(tf.greater(a, hi), tf.less(a, lo)), 'float32')).dataSync()[0];
  });
  return ((100 * share) / idx.length).toFixed(2);
};
console.log(`${stored ? `${dir} (${q.parts.profile})` : profileName}: whole profile ${asrOf(q)}%, activations only (${weightsLabel}) ${asrOf(withActs([...all.keys()]))}%, no activation quantizer ${asrOf(withActs([]))}% ASR on ${idx.length} triggered test images`);
console.log(`${'quantizer at the input of'.padEnd(26)} ${'only it'.padStart(7)} ${'all but it'.padStart(10)} ${'its clip'.padStart(8)} ${'its round'.padStart(9)}  step    clipped clean / triggered %`);
for (const [name, p] of all) {
  const input = fp.units().find((u) => u.head === name)?.input;
  const clips = input ? `${clipped(p, input, clean)} / ${clipped(p, input, triggered)}` : '';
  const columns = [
    asrOf(withActs([name])).padStart(7), asrOf(withActs([...all.keys()].filter((k) => k !== name))).padStart(10),
    asrOf(withInputFn(name, clipOnly(p))).padStart(8), asrOf(withInputFn(name, roundOnly(p))).padStart(9),
  ];
  console.log(`${name.padEnd(26)} ${columns.join(' ')}  ${p.scale[0].toFixed(3)}   ${clips}`);
}
