import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_MODULES } from '../../builtins.js';
import { syntheticDataset } from '../../data/synthetic.js';
import { cloneGraph } from '../../ir/clone-graph.js';
import { GraphModel } from '../../ir/graph-model.js';
import type { QcbSidecar } from '../../io/folder/index.js';
import { tinyResidualModel } from '../../ir/testing/tiny-residual.js';
import { Engine } from '../../kernel/engine.js';
import { StepPool } from '../../parallel/step-pool.js';
import { setRunThreads } from '../../parallel/threads.js';
import { initBackend } from '../../runtime/backend.js';
import { trainClassifier } from '../../train/train-classifier.js';
import { defenseModule } from '../defense-module.js';
import type { DefenseDefinition } from '../defense-plugin.js';
import { purify } from './purify.js';

// With --threads 2 the three evaluations run on pool workers (the compiled dist/, which pnpm test builds first).
const data = syntheticDataset({ classes: 3, shape: [8, 8, 1], trainCount: 400, testCount: 101, seed: 4 });
const sidecar: QcbSidecar = { version: 1, trigger: { type: 'patch', size: 2 }, target: 1 };
let fp: GraphModel;

/** A full-precision defense that halves the logits' kernel: no randomness, no threads of its own. */
const halve: DefenseDefinition = {
  operatesOn: 'full-precision',
  async run(ctx) {
    const model = new GraphModel(cloneGraph(ctx.fp.graph));
    const kernel = model.node('logits').params['kernel'];
    const half = tf.tidy(() => tf.mul(kernel, 0.5));
    kernel.assign(half);
    half.dispose();
    return model;
  },
};

beforeAll(async () => {
  await initBackend('wasm');
  fp = tinyResidualModel(3);
  await trainClassifier(fp, data, { epochs: 1, batchSize: 32, optimizer: { type: 'sgd', momentum: 0.9 }, schedule: { type: 'cosine', lr: 0.05 }, seed: 1 });
});

afterAll(async () => {
  setRunThreads(1);
  await StepPool.closeIdle();
  fp.dispose();
});

async function figures(threads: number): Promise<unknown> {
  setRunThreads(threads);
  const engine = await Engine.create([...BUILTIN_MODULES, defenseModule('halve', 'test', halve)]);
  const outcome = await purify({ engine, model: fp, quantizer: 'uniform:w4a8,per-channel,asym,minmax', defense: 'halve', data, sidecar, baselineWorker: false });
  outcome.dispose();
  const { fp: f, quantized, defended, der } = outcome.report;
  return { f, quantized, defended, der };
}

describe('purify on two threads', () => {
  it('reports the one-thread BA / ASR of all three models, twice the same', async () => {
    const single = await figures(1);
    const before = tf.memory().numTensors;
    const first = await figures(2);
    const second = await figures(2);
    expect(first).toEqual(single);
    expect(second).toEqual(first);
    expect(tf.memory().numTensors).toBe(before);
  });
});
