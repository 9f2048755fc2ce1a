// Writes a copy of a model whose BatchNorm running statistics are re-estimated on the
// defender's clean data (`reestimateBatchNorm` in @qcb/core), so that `qcb evaluate` shows
// how much the model's outputs hang on the statistics it ships with. With --half-triggered,
// each batch is followed by its copy with the trigger of the model's qcb.json (the layout
// CompArtifact trains on): the statistics an attack's batches give.
// Usage (after `pnpm build`): node packages/cli/scripts/recalibrate-bn.mjs <model dir> <out dir> [samples] [--half-triggered]
import * as tf from '@tensorflow/tfjs-core';
import { createTrigger, defenderBatches, initBackend, loadDataset, loadModel, normalize, reestimateBatchNorm, saveModel } from '@qcb/core';

const args = process.argv.slice(2);
const halfTriggered = args.includes('--half-triggered');
const [dir, out, samples = '1024'] = args.filter((a) => a !== '--half-triggered');
if (!dir || !out) throw new Error('usage: recalibrate-bn.mjs <model dir> <out dir> [samples] [--half-triggered]');
await initBackend('wasm');
const { model, sidecar } = await loadModel(dir);
if (halfTriggered && !sidecar?.trigger) throw new Error(`--half-triggered needs a trigger in ${dir}/qcb.json`);
const data = await loadDataset(sidecar?.dataset ?? 'fashion-mnist');
const norm = sidecar?.normalization ?? data.normalization;
let batches = defenderBatches(data.train, norm, { share: 0.05, samples: Number(samples) });
if (halfTriggered) {
  const trigger = createTrigger(sidecar.trigger, data.train.shape);
  const mean = tf.tensor1d(norm.mean), std = tf.tensor1d(norm.std);
  const clean = batches;
  batches = clean.map((x) => tf.tidy(() => tf.concat([x, normalize(trigger.apply(tf.add(tf.mul(x, std), mean)), norm)])));
  tf.dispose([...clean, mean, std]);
}
const images = batches.reduce((n, b) => n + b.shape[0], 0);
for (const s of reestimateBatchNorm(model, batches)) {
  console.log(`${s.node}: mean moved ${s.meanShift.toFixed(4)} running std, variance ${(100 * s.varianceChange).toFixed(2)}% (channel means)`);
}
tf.dispose(batches);
await saveModel(out, model, { sidecar });
console.log(`wrote ${out} (BN statistics from ${images} images of the defender's share${halfTriggered ? ', half of them triggered' : ''})`);
