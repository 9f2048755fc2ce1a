import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../ir/builder.js';
import { GraphModel } from '../ir/graph-model.js';
import { tinyResidualModel } from '../ir/testing/tiny-residual.js';
import { initBackend } from '../runtime/backend.js';
import { classificationStep } from '../train/classification-step.js';
import { crossEntropy } from '../train/train-step.js';
import { Sgd } from '../train/optimizers/sgd.js';
import { variableKeys } from '../train/train-classifier.js';
import { ParallelClassifier } from './parallel-classifier.js';
import { StepPool } from './step-pool.js';

// The workers run the compiled dist/ (pnpm test builds it first).
let pool: StepPool;

beforeAll(async () => {
  await initBackend('wasm');
  const started = await StepPool.start(2);
  if (!started) throw new Error('no step pool: run pnpm build first (the workers run dist/)');
  pool = started;
});

afterAll(async () => {
  await pool?.close();
});

/** conv -> relu -> conv -> relu -> pooled dense: no BatchNorm, so shards change nothing but float sums. */
function noBatchNormModel(): GraphModel {
  const b = new GraphBuilder('plain', [8, 8, 2], { seed: 5 });
  let x = b.conv2d(b.input(), { filters: 6, kernelSize: 3, name: 'c1' });
  x = b.relu(x, 'r1');
  x = b.conv2d(x, { filters: 6, kernelSize: 3, strides: 2, name: 'c2' });
  x = b.relu(x, 'r2');
  return new GraphModel(b.build(b.dense(b.globalAvgPool(x, 'gap'), { units: 4, name: 'logits' })));
}

function batch(n: number, shape: readonly number[], seed: number): { x: tf.Tensor; y: tf.Tensor1D } {
  return { x: tf.randomNormal([n, ...shape], 0, 1, 'float32', seed), y: tf.randomUniform([n], 0, 3, 'int32', seed + 1) as tf.Tensor1D };
}

function weightsOf(model: GraphModel): Float32Array[] {
  return model.graph.nodes.flatMap((n) => Object.values(n.params).map((v) => v.dataSync() as Float32Array));
}

async function train(model: GraphModel, steps: number, parallel: boolean): Promise<number[]> {
  const optimizer = new Sgd(variableKeys(model).variables, { type: 'sgd', momentum: 0.9 });
  const { x, y } = batch(10, model.inputShape, 7);
  const losses: number[] = [];
  try {
    const p = parallel ? await ParallelClassifier.start(pool, model, optimizer, { maxBatch: 10 }) : null;
    for (let i = 0; i < steps; i++) losses.push(p ? (await p.step(x, y, 0.05)).loss : classificationStep(model, optimizer, x, y, 0.05));
  } finally {
    tf.dispose([x, y]);
    optimizer.dispose();
  }
  return losses;
}

describe('ParallelClassifier', () => {
  it('gives the one-thread step on a model without BatchNorm (up to float summation order)', async () => {
    const single = noBatchNormModel();
    const parallel = noBatchNormModel();
    const singleLosses = await train(single, 3, false);
    const parallelLosses = await train(parallel, 3, true);
    parallelLosses.forEach((l, i) => expect(l).toBeCloseTo(singleLosses[i], 5));
    const a = weightsOf(single);
    const b = weightsOf(parallel);
    a.forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - b[i][j])).toBeLessThan(1e-5)));
    single.dispose();
    parallel.dispose();
  });

  it('sums the shards\' gradients for the caller to apply: the one-thread gradient on a model without BatchNorm, nothing updated', async () => {
    const model = noBatchNormModel();
    const trained = variableKeys(model).variables;
    const { x, y } = batch(10, model.inputShape, 9);
    const before = weightsOf(model).map((w) => Array.from(w));
    const single = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => crossEntropy(model.predict(x), y), trained);
      return { loss: value.dataSync()[0], grads: trained.map((v) => Array.from(grads[v.name].dataSync())) };
    });
    const parallel = await ParallelClassifier.openGradients(model, trained, { maxBatch: 10, threads: 3 });
    if (!parallel) throw new Error('no pool');
    try {
      const tensors = tf.memory().numTensors;
      for (let round = 0; round < 2; round++) {
        const r = await parallel.gradient(x, y);
        expect(r.loss).toBeCloseTo(single.loss, 5);
        expect(r.terms).toEqual({ ce: r.loss });
        let at = 0;
        trained.forEach((v, i) => {
          const got = r.gradient.subarray(at, at + v.size);
          single.grads[i].forEach((g, j) => expect(Math.abs(got[j] - g)).toBeLessThan(1e-5));
          at += v.size;
        });
        expect(at).toBe(r.gradient.length);
      }
      expect(weightsOf(model).map((w) => Array.from(w))).toEqual(before);
      expect(tf.memory().numTensors).toBe(tensors);
    } finally {
      await parallel.close();
      tf.dispose([x, y]);
      model.dispose();
    }
  });

  it('is reproducible: the same seed and thread count give the same weights and losses, BN in training mode', async () => {
    const runs: { losses: number[]; weights: Float32Array[] }[] = [];
    for (let r = 0; r < 2; r++) {
      const model = tinyResidualModel(3, [8, 8, 1]);
      const losses = await train(model, 4, true);
      runs.push({ losses, weights: weightsOf(model) });
      model.dispose();
    }
    expect(runs[1].losses).toEqual(runs[0].losses);
    runs[0].weights.forEach((w, i) => expect(Array.from(runs[1].weights[i])).toEqual(Array.from(w)));
  });

  it('updates the BN moving statistics from the shards (their mean)', async () => {
    const model = tinyResidualModel(3, [8, 8, 1]);
    const before = model.node('stem_bn').params['movingMean'].dataSync().slice();
    await train(model, 1, true);
    const after = model.node('stem_bn').params['movingMean'].dataSync();
    expect(Array.from(after)).not.toEqual(Array.from(before));
    model.dispose();
  });

  it('leaks no tensor over a long loop', async () => {
    const model = tinyResidualModel(3, [8, 8, 1]);
    await train(model, 2, true);
    const before = tf.memory().numTensors;
    await train(model, 30, true);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
