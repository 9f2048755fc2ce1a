// Seconds per training step (batch 128, SGD with momentum, BN in training mode) and per
// evaluation pass (256 images) of each architecture at Fashion-MNIST size (28x28x1, 10
// classes), on the wasm backend. The architectures take turns, three rounds, medians: the
// ratios to resnet-small hold even on a busy machine. Run after `pnpm build`:
//   node packages/models/scripts/step-times.mjs [arch ...]
import * as tf from '@tensorflow/tfjs-core';
import { classificationStep, createOptimizer, initBackend } from '@qcb/core';
import { mobilenetV2, resnetSmall, vit, alexnet, vggBn } from '@qcb/models';

const ARCHS = {
  'resnet-small': () => resnetSmall(),
  'mobilenet-v2': () => mobilenetV2({ inputShape: [28, 28, 1] }),
  'mobilenet-v2 --width 0.5': () => mobilenetV2({ inputShape: [28, 28, 1], width: 0.5 }),
  'mobilenet-v2 --width 0.35': () => mobilenetV2({ inputShape: [28, 28, 1], width: 0.35 }),
  vit: () => vit(),
  alexnet: () => alexnet({ inputShape: [28, 28, 1] }),
  'vgg-bn': () => vggBn({ inputShape: [28, 28, 1] }),
};

await initBackend('wasm');
const only = process.argv.slice(2);
const picked = Object.entries(ARCHS).filter(([name]) => only.length === 0 || name === 'resnet-small' || only.includes(name));
const runs = picked.map(([name, build]) => {
  const model = build();
  const optimizer = createOptimizer({ type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 }, model.variables());
  return { name, model, optimizer, train: [], evaluate: [] };
});
const x = tf.randomNormal([128, 28, 28, 1], 0, 1, 'float32', 1);
const y = tf.tensor1d(Array.from({ length: 128 }, (_, i) => i % 10), 'int32');
const test = tf.randomNormal([256, 28, 28, 1], 0, 1, 'float32', 2);
for (const r of runs) classificationStep(r.model, r.optimizer, x, y, 0.01);
for (let round = 0; round < 3; round++) {
  for (const r of runs) {
    let t0 = performance.now();
    classificationStep(r.model, r.optimizer, x, y, 0.01);
    r.train.push((performance.now() - t0) / 1000);
    t0 = performance.now();
    tf.tidy(() => r.model.predict(test).dataSync());
    r.evaluate.push((performance.now() - t0) / 1000);
  }
}
const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
const base = median(runs[0].train);
console.log('| architecture | parameters | train step (s) | vs resnet-small | evaluate 256 (s) |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of runs) {
  const step = median(r.train);
  console.log(`| ${r.name} | ${r.model.paramCounts().total.toLocaleString('en-US')} | ${step.toFixed(2)} | x${(step / base).toFixed(1)} | ${median(r.evaluate).toFixed(2)} |`);
}
