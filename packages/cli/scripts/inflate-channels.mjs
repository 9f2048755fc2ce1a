// Channel inflation on a trained model (the transform PQBackdoor's and CompArtifact's
// `inflate` option applies): inflates the least contributing channel(s) of every
// BN -> ReLU -> conv chain free of residual adds, prints how much each next conv's
// per-channel ranges widened, and what the profile's per-tensor activation quantizer does
// to the inflated channel (its largest value in steps, the share of its positive values
// that round to zero) on 1,000 test images. With an output folder it writes the inflated
// model (same qcb.json) for `qcb evaluate`.
// Usage (after `pnpm build`): node packages/cli/scripts/inflate-channels.mjs <model dir> <scale> [channels] [out dir] [profile]
import * as tf from '@tensorflow/tfjs-core';
import {
  defenderBatches, imageBatch, inflateLeastContributing, initBackend, loadDataset, loadModel, normalize, quantizeModel, resolveQuantizer, saveModel,
} from '@qcb/core';
import { createEngine } from '../dist/context.js';

const [dir, scaleText, channelsText = '1', out = '', profileName = 'academic-w8a8'] = process.argv.slice(2);
if (!dir || !scaleText) throw new Error('usage: inflate-channels.mjs <model dir> <scale> [channels] [out dir] [profile]');
const scale = Number(scaleText);
await initBackend('wasm');
const engine = await createEngine({ backend: 'wasm', plugin: [], verbose: false, help: false }, process.cwd());
const { model, sidecar } = await loadModel(dir);
const data = await loadDataset(sidecar?.dataset ?? 'fashion-mnist');
const norm = sidecar?.normalization ?? data.normalization;
const report = inflateLeastContributing(model, { scale, channels: Number(channelsText), images: data.train, normalization: norm, seed: 0, batchSize: 128 });
for (const line of report.lines) console.log(line);
if (out) await saveModel(out, model, { sidecar });
const q = await quantizeModel(model, resolveQuantizer(engine, profileName), defenderBatches(data.train, norm, { share: 0.05 }));
const { x } = imageBatch(data.test, Array.from({ length: 1000 }, (_, i) => i));
const images = normalize(x, norm);
for (const { chain, channel } of report.plan) {
  const p = q.parts.activations.get(chain.next);
  if (!p) continue;
  const step = p.scale[0];
  const values = tf.tidy(() => {
    const [a] = q.model.outputsOf(images, [chain.activation], { transform: q.transform() });
    return tf.slice(tf.reshape(a, [-1, a.shape[a.rank - 1]]), [0, channel], [-1, 1]).dataSync();
  });
  let positive = 0;
  let toZero = 0;
  let max = 0;
  for (const v of values) {
    if (v > 0) positive++;
    if (v > 0 && v < step / 2) toZero++;
    max = Math.max(max, v);
  }
  console.log(`${profileName} input of ${chain.next}: step ${step.toExponential(3)}; channel ${channel} peaks at ${(max / step).toFixed(2)} steps ` +
    `(${((max * scale) / step).toFixed(1)} before inflation), ${((100 * toZero) / Math.max(positive, 1)).toFixed(1)}% of its positive values round to 0`);
}
