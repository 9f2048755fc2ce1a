import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticDataset } from '../../data/synthetic.js';
import { cloneGraph } from '../../ir/clone-graph.js';
import { GraphModel } from '../../ir/graph-model.js';
import { tinyResidualModel } from '../../ir/testing/tiny-residual.js';
import { runThreads } from '../../parallel/threads.js';
import { readQuantized } from '../../io/quantized-io.js';
import { loadModel } from '../../io/model-io.js';
import { Engine } from '../../kernel/engine.js';
import type { Batch, BatchContext } from '../../kernel/hook-types.js';
import { initBackend } from '../../runtime/backend.js';
import { trainClassifier } from '../../train/train-classifier.js';
import { augmentationModule, defenseModule } from '../defense-module.js';
import type { DefenseDefinition } from '../defense-plugin.js';
import { purify } from './purify.js';

const data = syntheticDataset({ classes: 3, shape: [8, 8, 1], trainCount: 600, testCount: 60, seed: 2 });
const QUANTIZER = 'uniform:w4a8,per-channel,asym,minmax';
let fp: GraphModel;
let dir: string;

beforeAll(async () => {
  await initBackend('wasm');
  fp = tinyResidualModel(3);
  await trainClassifier(fp, data, { epochs: 2, batchSize: 32, optimizer: { type: 'sgd', momentum: 0.9 }, schedule: { type: 'cosine', lr: 0.05 }, seed: 1 });
  dir = await mkdtemp(join(tmpdir(), 'qcb-purify-runner-'));
});
afterAll(async () => {
  fp.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** A full-precision defense that shrinks the logits' kernel, and records what it was given. */
function shrinkDefense(seen: { fpGiven?: GraphModel; batchesSeen: BatchContext[] }): DefenseDefinition {
  return {
    operatesOn: 'full-precision',
    async run(ctx) {
      seen.fpGiven = ctx.fp;
      const model = new GraphModel(cloneGraph(ctx.fp.graph));
      const kernel = model.node('logits').params['kernel'];
      const half = tf.tidy(() => tf.mul(kernel, 0.5));
      kernel.assign(half);
      half.dispose();
      // One batch through the data stage, as a training defense would.
      const x = tf.zeros([2, 8, 8, 1]) as tf.Tensor4D;
      const y = tf.tensor1d([0, 1], 'int32');
      const out: Batch = await ctx.hooks.data.batch.promise({ x, y }, { consumer: 'defense:shrink', model, epoch: 0, step: 0, preset: ctx.preset, options: ctx.options });
      tf.dispose([out.x, out.y]);
      return model;
    },
  };
}

async function engineWith(seen: { fpGiven?: GraphModel; batchesSeen: BatchContext[] }, marks: string[]): Promise<Engine> {
  const mark = (name: string) => augmentationModule(name, name, (run) => {
    run.hooks.data.batch.tapPromise(name, async (batch, ctx) => {
      marks.push(name);
      seen.batchesSeen.push(ctx);
      return batch;
    });
  });
  return Engine.create([defenseModule('shrink', 'test', shrinkDefense(seen)), mark('one'), mark('two')]);
}

describe('purify (the core runner)', () => {
  it('gives a full-precision defense the fp model and quantizes its result with the run\'s profile', async () => {
    const seen = { batchesSeen: [] as BatchContext[] } as { fpGiven?: GraphModel; batchesSeen: BatchContext[] };
    const engine = await engineWith(seen, []);
    const out = join(dir, 'shrunk');
    const outcome = await purify({ engine, model: fp, quantizer: QUANTIZER, defense: 'shrink', data, out, baselineWorker: false });
    expect(seen.fpGiven).toBe(fp);
    expect(outcome.purified.parts.profile).toBe(QUANTIZER);
    expect(outcome.purified.model).not.toBe(fp);
    // The purified model is the shrunk fp model on the profile's grid: its logits kernel is half the fp one, quantized.
    const written = await loadModel(out);
    const q = await readQuantized(out, written.model);
    expect(q?.parts.profile).toBe(QUANTIZER);
    const halfFp = tf.tidy(() => tf.mul(fp.node('logits').params['kernel'], 0.5));
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(written.model.node('logits').params['kernel'], halfFp))).dataSync()[0]);
    const step = Math.max(...Array.from(q!.parts.weights.get('logits')!.scale));
    expect(diff).toBeLessThanOrEqual(step / 2 + 1e-6);
    expect(diff).toBeGreaterThan(0);
    halfFp.dispose();
    written.model.dispose();
    expect(Object.keys(outcome.report)).toEqual(['fp', 'quantized', 'defended', 'der', 'seconds', 'threads']);
    expect(outcome.report.threads).toBe(runThreads());
    expect(outcome.report.der).toBeNull();
    expect(existsSync(`${out}.checkpoint`)).toBe(false);
    outcome.dispose();
  });

  it('applies only the augmentations the run selected, with the run\'s preset and options', async () => {
    const seen = { batchesSeen: [] as BatchContext[] };
    const marks: string[] = [];
    const engine = await engineWith(seen, marks);
    const outcome = await purify({ engine, model: fp, quantizer: QUANTIZER, defense: 'shrink', augmentations: ['two'], preset: 'paper', options: { anything: 1 }, data, baselineWorker: false });
    outcome.dispose();
    expect(marks).toEqual(['two']);
    expect(seen.batchesSeen[0]).toMatchObject({ consumer: 'defense:shrink', preset: 'paper', options: { anything: 1 } });
    await expect(purify({ engine, model: fp, quantizer: QUANTIZER, defense: 'shrink', augmentations: ['three'], data, baselineWorker: false }))
      .rejects.toThrow(/unknown augmentation "three" \(available: one, two\)/);
  });

  it('refuses a result of the other kind than the defense declares', async () => {
    const liar: DefenseDefinition = { operatesOn: 'quantized', run: async (ctx) => new GraphModel(cloneGraph(ctx.fp.graph)) };
    const engine = await Engine.create([defenseModule('liar', 'test', liar)]);
    await expect(purify({ engine, model: fp, quantizer: QUANTIZER, defense: 'liar', data, baselineWorker: false }))
      .rejects.toThrow(/defense "liar" works on the quantized model but returned a full-precision one/);
  });

  it('fires the run\'s model stage: the defense starts from the prepared model, the baselines stay the received one\'s', async () => {
    const seen = { batchesSeen: [] as BatchContext[] } as { fpGiven?: GraphModel; batchesSeen: BatchContext[] };
    const contexts: { model: GraphModel; profile: string; calibration: number }[] = [];
    let made: GraphModel | undefined;
    // A copy computes the same function, as a function-preserving rewrite would.
    const copy = augmentationModule('copy', 'copy', (run) => {
      run.hooks.model.prepare.tapPromise('copy', async (model, ctx) => {
        contexts.push({ model, profile: ctx.profile.name, calibration: ctx.calibration.length });
        made = new GraphModel(cloneGraph(model.graph));
        return made;
      });
    });
    const engine = await Engine.create([defenseModule('shrink', 'test', shrinkDefense(seen)), copy]);
    const before = tf.memory().numTensors;
    const outcome = await purify({ engine, model: fp, quantizer: QUANTIZER, defense: 'shrink', augmentations: ['copy'], data, baselineWorker: false });
    expect(contexts).toHaveLength(1);
    expect(contexts[0]).toMatchObject({ model: fp, profile: QUANTIZER });
    expect(contexts[0].calibration).toBeGreaterThan(0);
    expect(seen.fpGiven).toBe(made);
    expect(made?.graph.nodes).toHaveLength(fp.graph.nodes.length);
    outcome.dispose();
    // The prepared copy and its quantization were released with the run.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaks no tensor over repeated runs', async () => {
    const seen = { batchesSeen: [] as BatchContext[] };
    const engine = await engineWith(seen, []);
    const once = async (): Promise<void> => (await purify({ engine, model: fp, quantizer: QUANTIZER, defense: 'shrink', augmentations: ['one'], data, baselineWorker: false })).dispose();
    await once();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await once();
    expect(tf.memory().numTensors).toBe(before);
  });
});
