// Wall time per step of a quantization-aware attack's training as `qcb attack` runs it
// (AttackTrainer, resnet-small, batch 128 composed to [clean; triggered] = 256 rows, a 4x4
// patch, quantized branches simulating academic-w4a4): `--attack compartifact` (from scratch,
// SGD, BN in training mode, one branch) or `qu-anti-zation` (Adam, BN frozen, the loss's four
// terms on one branch), on one thread and on --threads N (data-parallel, each shard composed
// on its own), over the first (WARMUP + STEPS) x 128 Fashion-MNIST training images. Prints
// the median of the last STEPS steps. Each configuration runs in a process of its own
// (--child), alternating ROUNDS times.
//   node packages/bench/scripts/attack-step.mjs [--attack compartifact] [--threads N] [--rounds 2] [--warmup 10] [--steps 20]
// Run `pnpm build` first.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { AttackTrainer, BUILTIN_MODULES, Engine, ProfileFakeQuant, initBackend, loadDataset, resolveQuantizer, setRunThreads, subset } from '@qcb/core';
import { DEFAULT_PLUGINS } from '@qcb/cli';
import { compArtifactLoss, quantizedBranch } from '@qcb/attack-compartifact';
import { lossQuantizers, quAntiZationExtraLoss, quAntiZationLoss } from '@qcb/attack-qu-anti-zation';
import { resnetSmall } from '@qcb/models';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' }, rounds: { type: 'string', default: '2' }, warmup: { type: 'string', default: '10' }, steps: { type: 'string', default: '20' },
    child: { type: 'string' }, attack: { type: 'string', default: 'compartifact' },
  },
});
const warmup = Number(values.warmup);
const steps = Number(values.steps);

if (values.child) {
  await initBackend('wasm');
  setRunThreads(Number(values.child));
  const engine = await Engine.create([...BUILTIN_MODULES, ...DEFAULT_PLUGINS]);
  const data = await loadDataset('fashion-mnist');
  const batch = 128;
  const train = subset(data.train, Array.from({ length: (warmup + steps) * batch }, (_, i) => i));
  const dir = mkdtempSync(join(tmpdir(), 'qcb-attack-step-'));
  const times = [];
  let last = performance.now();
  const onStep = () => {
    const now = performance.now();
    times.push((now - last) / 1000);
    last = now;
  };
  const { trainer } = await AttackTrainer.open({
    dir: join(dir, 'ckpt'), settings: {}, fresh: async () => resnetSmall({ seed: 0 }), normalization: data.normalization, train, seed: 0, progress: { onStep },
  });
  const model = trainer.model;
  const profile = resolveQuantizer(engine, 'academic-w4a4');
  const ctx = { model, bits: 4, target: 0 };
  const patch = (x) => tf.tidy(() => {
    const [, h, w, c] = x.shape;
    const mask = tf.pad(tf.ones([4, 4, c]), [[h - 7, 3], [w - 7, 3], [0, 0]]);
    return tf.add(tf.mul(x, tf.sub(1, mask)), mask);
  });
  const compose = (x, y) => ({ x: tf.concat([x, patch(x)]), y: tf.concat([y, y]) });
  let attack;
  if (values.attack === 'qu-anti-zation') {
    const init = { profiles: [profile], bits: [4], target: 0, c1: 0.5, c2: 0.5 };
    const quantizers = lossQuantizers(model, init);
    attack = {
      optimizer: { type: 'adam', weightDecay: 1e-4 }, schedule: { type: 'constant', lr: 1e-4 },
      loss: (b) => quAntiZationLoss(ctx, b.x, b.y, quantizers, 0.5, 0.5),
      dataParallel: { extraLoss: quAntiZationExtraLoss(model, quantizers, init), rowsPerImage: 2, bn: 'eval' },
    };
  } else {
    const profiles = [new ProfileFakeQuant(model, profile)];
    attack = {
      optimizer: { type: 'sgd', momentum: 0.4, weightDecay: 5e-4 }, schedule: { type: 'step', lr: 0.1, milestones: [0.6], gamma: 0.1 },
      loss: (b) => compArtifactLoss(ctx, b.x, b.y, profiles),
      dataParallel: { extraLoss: quantizedBranch({ ...ctx, profiles }, { bits: 4, target: 0, profiles: [profile] }), rowsPerImage: 2 },
    };
  }
  await trainer.runPhase({ name: values.attack, epochs: 1, batchSize: batch, compose, ...attack });
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ times })}\n`);
  process.exit(0);
}

const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
const script = fileURLToPath(import.meta.url);
const threads = Number(values.threads);
const results = { 1: [], [threads]: [] };
for (let r = 0; r < Number(values.rounds); r++) {
  for (const n of [1, threads]) {
    const out = execFileSync(process.execPath, [script, '--child', String(n), '--attack', values.attack, '--warmup', String(warmup), '--steps', String(steps)], { encoding: 'utf8' });
    const { times } = JSON.parse(out.trim().split('\n').at(-1));
    const m = median(times.slice(warmup));
    results[n].push(m);
    process.stdout.write(`round ${r + 1}, ${n} thread${n > 1 ? 's' : ''}: ${m.toFixed(3)} s/step (median of ${times.length - warmup} after ${warmup})\n`);
  }
}
const one = median(results[1]);
const all = median(results[threads]);
process.stdout.write(`${values.attack} step (batch 128 + 128 triggered, academic-w4a4): 1 thread ${one.toFixed(3)} s, ${threads} threads ${all.toFixed(3)} s, ${(one / all).toFixed(2)}x\n`);
