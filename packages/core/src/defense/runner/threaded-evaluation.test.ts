import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_MODULES } from '../../builtins.js';
import { syntheticDataset } from '../../data/synthetic.js';
import { defenderBatches } from '../../data/defender-batches.js';
import type { GraphModel } from '../../ir/graph-model.js';
import { Engine } from '../../kernel/engine.js';
import { StepPool } from '../../parallel/step-pool.js';
import { parseGenericSpec } from '../../quant/generic-spec.js';
import { quantizeModel } from '../../quant/quantize-model.js';
import type { QuantizedModel } from '../../quant/quantized-model.js';
import { initBackend } from '../../runtime/backend.js';
import { tinyResnet } from '../../scan/testing/tiny-resnet.js';
import { evaluateModel, evaluationSet, type EvaluationSet } from './evaluation.js';
import { baselinesOnThreads, evaluateModelOnPool, evaluateOnThreads } from './threaded-evaluation.js';

// The workers run the compiled dist/ (pnpm test builds it first).
const data = syntheticDataset({ trainCount: 256, testCount: 203 });
let model: GraphModel;
let quantized: QuantizedModel;
let set: EvaluationSet;
let pool: StepPool;

beforeAll(async () => {
  await initBackend('wasm');
  const engine = await Engine.create(BUILTIN_MODULES);
  model = tinyResnet();
  set = evaluationSet(engine, data.test, { version: 1, trigger: { type: 'patch', size: 2 }, target: 0 }, data.normalization);
  const calibration = defenderBatches(data.train, data.normalization, { share: 0.5 });
  quantized = await quantizeModel(model, parseGenericSpec('uniform:w4a4,per-channel,asym,mse'), calibration);
  tf.dispose(calibration);
  const started = await StepPool.start(3);
  if (!started) throw new Error('no step pool: run pnpm build first (the workers run dist/)');
  pool = started;
});

afterAll(async () => {
  await pool?.close();
  await StepPool.closeIdle();
  if (quantized.model !== model) quantized.model.dispose();
  model.dispose();
});

describe('evaluation on a StepPool', () => {
  it('gives the one-thread BA and ASR of a full-precision and a quantized model, with a batch that splits the shards unevenly', async () => {
    for (const m of [model, quantized]) {
      const one = evaluateModel((x) => m.predict(x), set, { batch: 64 });
      const threaded = await evaluateModelOnPool(pool, m, set, { batch: 7 });
      expect(threaded).toEqual(one);
      expect(one.asr).not.toBeNull();
    }
  });

  it('counts progress up to every image of both sets', async () => {
    const seen: number[] = [];
    await evaluateModelOnPool(pool, quantized, set, { batch: 16, onBatch: (done, total) => seen.push(done, total) });
    const total = set.test.count + set.poisoned!.count;
    expect(seen.slice(-2)).toEqual([total, total]);
  });

  it('falls back to this thread with one thread, and evaluates both baselines on a pool of its own', async () => {
    const fallback = { ba: -1, asr: null, n: 0 };
    expect(await evaluateOnThreads({ label: 'x', model }, set, { threads: 1 }, () => fallback)).toBe(fallback);
    const both = await baselinesOnThreads({ label: 'fp', model }, { label: 'q', model: quantized }, set, { threads: 2 }, () => { throw new Error('not on the pool'); });
    expect(both.fp).toEqual(evaluateModel((x) => model.predict(x), set));
    expect(both.quantized).toEqual(evaluateModel((x) => quantized.predict(x), set));
  });

  it('leaks no tensor on the calling thread', async () => {
    await evaluateModelOnPool(pool, quantized, set);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await evaluateModelOnPool(pool, model, set);
    expect(tf.memory().numTensors).toBe(before);
  });
});
