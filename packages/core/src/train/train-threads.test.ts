import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttackTrainer } from '../attack/attack-trainer.js';
import { syntheticDataset } from '../data/synthetic.js';
import { tinyTrainingContext } from '../defense/training/testing/training-context.js';
import { trainDefense } from '../defense/training/train-defense.js';
import { GraphBuilder } from '../ir/builder.js';
import { GraphModel } from '../ir/graph-model.js';
import { tinyResidualModel } from '../ir/testing/tiny-residual.js';
import { StepPool } from '../parallel/step-pool.js';
import { setRunThreads } from '../parallel/threads.js';
import { initBackend } from '../runtime/backend.js';
import { trainClassifier } from './train-classifier.js';
import { crossEntropy } from './train-step.js';
import { idleWorkerTensors } from '../parallel/testing/worker-tensors.js';

// On two threads the steps run on pool workers (the compiled dist/, which pnpm test builds first).
const data = syntheticDataset({ classes: 3, shape: [8, 8, 1], trainCount: 96, testCount: 16, seed: 2 });
const dirs: string[] = [];

beforeAll(async () => {
  await initBackend('wasm');
});

afterAll(async () => {
  setRunThreads(1);
  await StepPool.closeIdle();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function weights(model: GraphModel): number[][] {
  return model.graph.nodes.flatMap((n) => Object.values(n.params).map((v) => Array.from(v.dataSync())));
}

/** qcb train's loop on `threads` threads: the final weights and each epoch's loss and test accuracy. */
async function classifier(threads: number, epochs = 2): Promise<{ weights: number[][]; reports: unknown[] }> {
  setRunThreads(threads);
  const model = tinyResidualModel(4);
  const reports = await trainClassifier(model, data, { epochs, batchSize: 16, optimizer: { type: 'sgd', momentum: 0.9, weightDecay: 5e-4 }, schedule: { type: 'cosine', lr: 0.05 }, augment: { padCrop: 1, flip: true }, seed: 3 });
  const w = weights(model);
  model.dispose();
  return { weights: w, reports: reports.map(({ epoch, loss, testAccuracy }) => ({ epoch, loss, testAccuracy })) };
}

/** An attack phase of plain cross-entropy on `threads` threads: the final weights. */
async function attack(threads: number, crossEntropyLoss: boolean): Promise<number[][]> {
  setRunThreads(threads);
  const dir = mkdtempSync(join(tmpdir(), 'qcb-attack-threads-'));
  dirs.push(dir);
  const { trainer } = await AttackTrainer.open({ dir: join(dir, 'ckpt'), settings: {}, fresh: async () => tinyResidualModel(5), normalization: data.normalization, train: data.train, seed: 1 });
  const model = trainer.model;
  await trainer.runPhase({
    name: 'poison', epochs: 2, batchSize: 16, optimizer: { type: 'adam' }, schedule: { type: 'constant', lr: 1e-3 },
    compose: (x, y) => ({ x: tf.mul(x, 0.9) as tf.Tensor4D, y }),
    loss: (batch) => crossEntropy(model.predict(batch.x, { training: true }), batch.y),
    crossEntropyLoss,
  });
  const w = weights(model);
  model.dispose();
  await trainer.cleanUp();
  return w;
}

describe('training loops on two threads', () => {
  it('qcb train: the same weights, losses and accuracies twice for the same seed; not the one-thread ones', async () => {
    const a = await classifier(2);
    expect(await classifier(2)).toEqual(a);
    expect((await classifier(1)).weights).not.toEqual(a.weights);
  });

  it("an attack phase of plain cross-entropy: the same weights twice (Adam's slots on the workers); another loss runs on this thread", async () => {
    const a = await attack(2, true);
    expect(await attack(2, true)).toEqual(a);
    expect(await attack(1, true)).not.toEqual(a);
    // Not declared cross-entropy: the calling thread, so the one-thread weights.
    expect(await attack(2, false)).toEqual(await attack(1, false));
  });

  it('an attack phase stopped inside an epoch resumes from its checkpoint to the same weights, on one thread and on two', async () => {
    for (const threads of [1, 2]) {
      const straight = await attack(threads, true);
      setRunThreads(threads);
      const dir = mkdtempSync(join(tmpdir(), 'qcb-attack-mid-'));
      dirs.push(dir);
      const open = () => AttackTrainer.open({ dir: join(dir, 'ckpt'), settings: {}, fresh: async () => tinyResidualModel(5), normalization: data.normalization, train: data.train, seed: 1, checkpointSeconds: 0 });
      const phase = (model: GraphModel, stopAt?: string): Parameters<AttackTrainer['runPhase']>[0] => ({
        name: 'poison', epochs: 2, batchSize: 16, optimizer: { type: 'adam' }, schedule: { type: 'constant', lr: 1e-3 },
        compose: (x, y) => ({ x: tf.mul(x, 0.9) as tf.Tensor4D, y }),
        loss: (batch) => crossEntropy(model.predict(batch.x, { training: true }), batch.y),
        crossEntropyLoss: true,
        // Stops in the fourth step of the second epoch, before its checkpoint: the last one holds three steps.
        afterStep: (ctx) => {
          if (`${ctx.epoch}:${ctx.step}` === stopAt) throw new Error('interrupted');
        },
      });
      const first = await open();
      await expect(first.trainer.runPhase(phase(first.trainer.model, '1:3'))).rejects.toThrow('interrupted');
      first.trainer.model.dispose();
      const second = await open();
      expect(second.resumed).toMatchObject({ phase: 'poison', epoch: 1, step: 3 });
      await second.trainer.runPhase(phase(second.trainer.model));
      expect(weights(second.trainer.model)).toEqual(straight);
      second.trainer.model.dispose();
      await second.trainer.cleanUp();
    }
  });

  it('leaks no tensor on this thread or the workers over a long run', async () => {
    await classifier(2, 1);
    const before = tf.memory().numTensors;
    const workersBefore = await idleWorkerTensors();
    await classifier(2, 12);
    expect(tf.memory().numTensors).toBe(before);
    expect(await idleWorkerTensors()).toEqual(workersBefore);
  });
});

/** A small classifier with two dropout layers, as the alexnet builder has. */
function droppingModel(): GraphModel {
  const b = new GraphBuilder('dropping', [8, 8, 1], { seed: 4 });
  let x = b.conv2d(b.input(), { filters: 4, kernelSize: 3, name: 'conv' });
  x = b.relu(x, 'relu');
  x = b.flatten(x, 'flat');
  x = b.dropout(x, 0.5, 'drop1');
  x = b.relu(b.dense(x, { units: 16, name: 'hidden' }), 'hidden_relu');
  x = b.dropout(x, 0.5, 'drop2');
  return new GraphModel(b.build(b.dense(x, { units: 3, name: 'logits' })));
}

async function trained(threads: number): Promise<number[][]> {
  setRunThreads(threads);
  const model = droppingModel();
  await trainClassifier(model, data, { epochs: 1, batchSize: 16, optimizer: { type: 'sgd', momentum: 0.9 }, schedule: { type: 'constant', lr: 0.05 }, seed: 3 });
  const w = weights(model);
  model.dispose();
  return w;
}

describe('seeded dropout', () => {
  it('masks each training run from (seed, run, node): the same for the same seed, another run or node another mask', () => {
    const model = droppingModel();
    const x = tf.ones([2, 8, 8, 1]);
    const masks = (): number[][] => {
      const [a, b] = model.outputsOf(x, ['drop1', 'drop2'], { training: true });
      const out = [Array.from(a.dataSync()), Array.from(b.dataSync())];
      tf.dispose([a, b]);
      return out;
    };
    model.seedDropout(7);
    const first = masks();
    const second = masks();
    model.seedDropout(7);
    expect(masks()).toEqual(first);
    expect(second).not.toEqual(first);
    model.seedDropout(8);
    expect(masks()).not.toEqual(first);
    // Inference ignores dropout and draws no seed.
    model.seedDropout(7);
    const [inference, kept] = model.outputsOf(x, ['drop1', 'flat'], {});
    const flat = Array.from(kept.dataSync());
    expect(Array.from(inference.dataSync())).toEqual(flat);
    expect(masks()).toEqual(first);
    // About half the units dropped, the others scaled by 1 / (1 - rate).
    const live = flat.flatMap((v, i) => (v > 0 ? [i] : []));
    const dropped = live.filter((i) => first[0][i] === 0).length / live.length;
    expect(dropped).toBeGreaterThan(0.3);
    expect(dropped).toBeLessThan(0.7);
    for (const i of live) if (first[0][i] !== 0) expect(first[0][i]).toBeCloseTo(2 * flat[i], 5);
    tf.dispose([x, inference, kept]);
    model.dispose();
  });

  it('qcb train of a model with dropout gives the same weights twice for the same seed, on one thread and on two', async () => {
    for (const threads of [1, 2]) {
      const a = await trained(threads);
      expect(await trained(threads)).toEqual(a);
    }
  });

  it('an attack phase on a model with dropout, stopped inside an epoch, resumes to the same weights', async () => {
    const phase = (model: GraphModel, stopAt?: string): Parameters<AttackTrainer['runPhase']>[0] => ({
      name: 'poison', epochs: 2, batchSize: 16, optimizer: { type: 'adam' }, schedule: { type: 'constant', lr: 1e-3 },
      loss: (batch) => crossEntropy(model.predict(batch.x, { training: true }), batch.y),
      afterStep: (ctx) => {
        if (`${ctx.epoch}:${ctx.step}` === stopAt) throw new Error('interrupted');
      },
    });
    setRunThreads(1);
    const dir = mkdtempSync(join(tmpdir(), 'qcb-dropout-'));
    dirs.push(dir);
    const open = (name: string) =>
      AttackTrainer.open({ dir: join(dir, name), settings: {}, fresh: async () => droppingModel(), normalization: data.normalization, train: data.train, seed: 1, checkpointSeconds: 0 });
    const straight = await open('straight');
    await straight.trainer.runPhase(phase(straight.trainer.model));
    const expected = weights(straight.trainer.model);
    straight.trainer.model.dispose();
    const first = await open('stopped');
    await expect(first.trainer.runPhase(phase(first.trainer.model, '1:3'))).rejects.toThrow('interrupted');
    first.trainer.model.dispose();
    const second = await open('stopped');
    expect(second.resumed).toMatchObject({ phase: 'poison', epoch: 1, step: 3 });
    await second.trainer.runPhase(phase(second.trainer.model));
    expect(weights(second.trainer.model)).toEqual(expected);
    second.trainer.model.dispose();
  });

  it("a defense's fine-tuning of a model with dropout gives the same weights twice", async () => {
    setRunThreads(1);
    const tuned = async (): Promise<number[][]> => {
      const { ctx, dispose } = await tinyTrainingContext();
      const model = droppingModel();
      await trainDefense(ctx, model, { defense: 'test', phase: 'finetune', epochs: 1, batchSize: 16, optimizer: { type: 'sgd', momentum: 0.9 }, schedule: { type: 'constant', lr: 0.05 } });
      const w = weights(model);
      model.dispose();
      dispose();
      return w;
    };
    expect(await tuned()).toEqual(await tuned());
  });
});
