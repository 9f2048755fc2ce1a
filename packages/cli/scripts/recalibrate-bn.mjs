// Writes a copy of a model whose BatchNorm running statistics are re-estimated on the
// defender's clean data (`reestimateBatchNorm` in @qcb/core), so that `qcb evaluate` shows
// how much the model's outputs hang on the statistics it ships with.
// Usage (after `pnpm build`): node packages/cli/scripts/recalibrate-bn.mjs <model dir> <out dir> [samples]
import * as tf from '@tensorflow/tfjs-core';
import { defenderBatches, initBackend, loadDataset, loadModel, reestimateBatchNorm, saveModel } from '@qcb/core';

const [dir, out, samples = '1024'] = process.argv.slice(2);
if (!dir || !out) throw new Error('usage: recalibrate-bn.mjs <model dir> <out dir> [samples]');
await initBackend('wasm');
const { model, sidecar } = await loadModel(dir);
const data = await loadDataset(sidecar?.dataset ?? 'fashion-mnist');
const batches = defenderBatches(data.train, sidecar?.normalization ?? data.normalization, { share: 0.05, samples: Number(samples) });
const images = batches.reduce((n, b) => n + b.shape[0], 0);
for (const s of reestimateBatchNorm(model, batches)) {
  console.log(`${s.node}: mean moved ${s.meanShift.toFixed(4)} running std, variance ${(100 * s.varianceChange).toFixed(2)}% (channel means)`);
}
tf.dispose(batches);
await saveModel(out, model, { sidecar });
console.log(`wrote ${out} (BN statistics from ${images} images of the defender's share)`);
