import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticDataset } from '../data/synthetic.js';
import type { GraphModel } from '../ir/graph-model.js';
import { tinyResidualModel } from '../ir/testing/tiny-residual.js';
import type { Batch } from '../kernel/hook-types.js';
import { parseGenericSpec } from '../quant/generic-spec.js';
import { initBackend } from '../runtime/backend.js';
import { trainingPlan } from '../runtime/memory/training-plan.js';
import { epochBatches } from '../train/epoch-batches.js';
import { createOptimizer } from '../train/optimizers/index.js';
import { crossEntropy, trainStep } from '../train/train-step.js';
import type { AttackPhase } from './attack-trainer.js';
import { measurePhaseStepBytes } from './phase-step-bytes.js';
import { ProfileFakeQuant } from './profile-fake-quant.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const data = syntheticDataset({ classes: 3, shape: [8, 8, 1], trainCount: 64, testCount: 8, seed: 4 });
const W4A4 = parseGenericSpec('uniform:w4a4,per-channel,asym,mse,fold,first-last-8');
const batchOptions = {
  seed: 1,
  normalization: data.normalization,
  // Each image and a darker copy: two rows per image, as an attack's [clean; triggered].
  compose: (x: tf.Tensor4D, y: tf.Tensor1D) => ({ x: tf.concat([x, tf.mul(x, 0.5)]) as tf.Tensor4D, y: tf.concat([y, y]) as tf.Tensor1D }),
};

/** A CompArtifact-shaped phase: a plain and a quantized branch over the composed rows, ranges refreshed every third pass. */
function twoBranchPhase(model: GraphModel): { phase: AttackPhase; simulated: ProfileFakeQuant } {
  const simulated = new ProfileFakeQuant(model, W4A4, 3);
  const loss = (batch: Batch): tf.Scalar =>
    tf.add(crossEntropy(model.predict(batch.x, { training: true }), batch.y), crossEntropy(model.predict(batch.x, { training: true, transform: simulated.transform() }), batch.y)) as tf.Scalar;
  return { phase: { name: 'poison', epochs: 1, batchSize: 8, optimizer: { type: 'sgd', momentum: 0.9 }, schedule: { type: 'constant', lr: 0.05 }, compose: batchOptions.compose, loss }, simulated };
}

function weights(model: GraphModel): number[][] {
  return model.variables(() => true).map((v) => Array.from(v.dataSync()));
}

/** Four steps of the phase, as fit runs them. */
function train(model: GraphModel, phase: AttackPhase): void {
  const vars = model.variables();
  const optimizer = createOptimizer(phase.optimizer, vars, vars.map((v) => v.name));
  let steps = 0;
  for (const batch of epochBatches(data.train, 0, { ...batchOptions, batchSize: phase.batchSize })) {
    if (steps++ < 4) trainStep(optimizer, () => phase.loss(batch, { epoch: 0, step: steps, lr: 0.05 }), 0.05);
    tf.dispose([batch.x, batch.y]);
  }
  optimizer.dispose();
}

describe("an attack phase's measured step", () => {
  it('counts every branch and composed row, which the estimate of one plain pass does not', async () => {
    const model = tinyResidualModel(5);
    const { phase } = twoBranchPhase(model);
    const before = tf.memory().numTensors;
    const measured = await measurePhaseStepBytes(model, phase, data.train, batchOptions, model.variables());
    expect(tf.memory().numTensors).toBe(before);
    // Two rows per image, each through two branches.
    expect(measured!.perSample).toBeGreaterThan(2 * trainingPlan(model, 8).perSampleBytes);
    model.dispose();
  });

  it('leaves the training that follows unchanged: the moving statistics put back, the ranges and their refresh count untouched', async () => {
    const plain = tinyResidualModel(5);
    const measured = tinyResidualModel(5);
    const a = twoBranchPhase(plain);
    const b = twoBranchPhase(measured);
    await measurePhaseStepBytes(measured, b.phase, data.train, batchOptions, measured.variables());
    expect(weights(measured)).toEqual(weights(plain));
    train(plain, a.phase);
    train(measured, b.phase);
    expect(weights(measured)).toEqual(weights(plain));
    plain.dispose();
    measured.dispose();
  });

  it('is not measured on data smaller than the larger measuring batch', async () => {
    const model = tinyResidualModel(5);
    const tiny = syntheticDataset({ classes: 3, shape: [8, 8, 1], trainCount: 3, testCount: 3, seed: 4 });
    expect(await measurePhaseStepBytes(model, twoBranchPhase(model).phase, tiny.train, batchOptions, model.variables())).toBeNull();
    model.dispose();
  });
});
