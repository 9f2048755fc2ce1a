import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphModel } from '../../ir/graph-model.js';
import type { BatchContext } from '../../kernel/hook-types.js';
import { StepPool } from '../../parallel/step-pool.js';
import { setRunThreads } from '../../parallel/threads.js';
import { initBackend } from '../../runtime/backend.js';
import { loadTrainingResume, phaseModel } from './resume.js';
import type { DefenseTrainingSpec } from './spec.js';
import { MemoryCheckpoint, tinyTrainingContext } from './testing/training-context.js';
import { trainDefense } from './train-defense.js';
import { idleWorkerTensors } from '../../parallel/testing/worker-tensors.js';

// On two threads the steps run on pool workers (the compiled dist/, which pnpm test builds first).
beforeAll(async () => {
  await initBackend('wasm');
});

afterAll(async () => {
  setRunThreads(1);
  await StepPool.closeIdle();
});

const SGD: DefenseTrainingSpec = {
  defense: 'test', phase: 'finetune', epochs: 2, batchSize: 16,
  optimizer: { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 }, schedule: { type: 'cosine', lr: 0.05 },
};

function weights(model: GraphModel): number[][] {
  return model.graph.nodes.flatMap((n) => Object.values(n.params).map((v) => Array.from(v.dataSync())));
}

/** A phase trained from the context's model on `threads` threads; its final weights. */
async function trained(threads: number, spec: DefenseTrainingSpec): Promise<number[][]> {
  setRunThreads(threads);
  const { ctx, dispose } = await tinyTrainingContext();
  const model = phaseModel(null, 'finetune', ctx.fp);
  await trainDefense(ctx, model, spec);
  const w = weights(model);
  model.dispose();
  (ctx.checkpoint as MemoryCheckpoint).dispose();
  dispose();
  return w;
}

describe('trainDefense on two threads', () => {
  it('gives the same weights twice for the same seed (SGD, and SAM with label smoothing), not the one-thread ones', async () => {
    const sam: DefenseTrainingSpec = { ...SGD, labelSmoothing: 0.1, sam: { rho: 0.5 } };
    for (const spec of [SGD, sam]) {
      const a = await trained(2, spec);
      const b = await trained(2, spec);
      expect(b).toEqual(a);
      // BN normalises each worker's half of the batch with its own statistics.
      expect(await trained(1, spec)).not.toEqual(a);
    }
  });

  it('passes every batch through data.batch once, with the run preset, options and the model holding the last step', async () => {
    setRunThreads(2);
    const { ctx, dispose } = await tinyTrainingContext({ preset: 'paper', options: { 'probe.k': '3' } });
    const model = phaseModel(null, 'finetune', ctx.fp);
    const seen: BatchContext[] = [];
    const kernels: number[][] = [];
    ctx.hooks.data.batch.tapPromise('probe', async (batch, bctx) => {
      seen.push(bctx);
      kernels.push(Array.from(bctx.model.node('conv1').params['kernel'].dataSync()));
      return batch;
    });
    await trainDefense(ctx, model, SGD);
    expect(seen).toHaveLength(2 * 4);
    seen.forEach((c, i) => {
      expect(c).toMatchObject({ consumer: 'defense:test', epoch: Math.floor(i / 4), step: i % 4, preset: 'paper' });
      expect(c.options).toBe(ctx.options);
      expect(c.model).toBe(model);
    });
    // Every step changed the weights the next batch's taps saw, and the last one the returned model.
    kernels.push(Array.from(model.node('conv1').params['kernel'].dataSync()));
    for (let i = 1; i < kernels.length; i++) expect(kernels[i]).not.toEqual(kernels[i - 1]);
    model.dispose();
    (ctx.checkpoint as MemoryCheckpoint).dispose();
    dispose();
  });

  it('resumes from a checkpoint to the weights of the uninterrupted run (the workers\' optimizer slots saved)', async () => {
    setRunThreads(2);
    const spec: DefenseTrainingSpec = { ...SGD, epochs: 3 };
    const straight = new MemoryCheckpoint();
    const a = await tinyTrainingContext({ checkpoint: straight });
    const full = phaseModel(null, 'finetune', a.ctx.fp);
    await trainDefense(a.ctx, full, spec);
    const slots = straight.saved!.slots!;
    expect(slots.map((s) => s.name)).toContain('sgd/velocity/conv1/kernel');
    expect(slots.every((s) => s.values.some((v) => v !== 0))).toBe(true);

    const interrupted = new MemoryCheckpoint(1);
    const b = await tinyTrainingContext({ checkpoint: interrupted });
    const partial = phaseModel(null, 'finetune', b.ctx.fp);
    await expect(trainDefense(b.ctx, partial, spec)).rejects.toThrow('interrupted');
    partial.dispose();
    interrupted.interruptAfter = 0;
    const resume = await loadTrainingResume(b.ctx, ['finetune']);
    const resumed = phaseModel(resume, 'finetune', b.ctx.fp);
    await trainDefense(b.ctx, resumed, { ...spec, resume });
    expect(weights(resumed)).toEqual(weights(full));
    [full, resumed].forEach((m) => m.dispose());
    [straight, interrupted].forEach((c) => c.dispose());
    a.dispose();
    b.dispose();
  });

  it("sends afterStep's change back to the workers: masked weights stay 0", async () => {
    setRunThreads(2);
    const { ctx, dispose } = await tinyTrainingContext();
    const model = phaseModel(null, 'finetune', ctx.fp);
    const kernel = model.node('logits').params['kernel'];
    const mask = tf.tidy(() => tf.concat([tf.zeros([1, kernel.shape[1]!]), tf.ones([kernel.shape[0] - 1, kernel.shape[1]!])]));
    const afterStep = (m: GraphModel): void => {
      const k = m.node('logits').params['kernel'];
      const masked = tf.mul(k, mask);
      k.assign(masked);
      masked.dispose();
    };
    const rows: number[][] = [];
    ctx.hooks.data.batch.tapPromise('probe', async (batch, bctx) => {
      rows.push(Array.from(bctx.model.node('logits').params['kernel'].dataSync().slice(0, kernel.shape[1]!)));
      return batch;
    });
    afterStep(model);
    await trainDefense(ctx, model, { ...SGD, afterStep });
    rows.push(Array.from(kernel.dataSync().slice(0, kernel.shape[1]!)));
    expect(rows.every((r) => r.every((v) => v === 0))).toBe(true);
    mask.dispose();
    model.dispose();
    (ctx.checkpoint as MemoryCheckpoint).dispose();
    dispose();
  });

  it('trains a loss with extra terms on the calling thread: the one-thread weights', async () => {
    const spec: DefenseTrainingSpec = {
      ...SGD,
      extraLoss: {
        nodes: ['relu1'],
        forBatch: () => ({ terms: (f) => [{ name: 'energy', value: tf.mean(tf.square(f.get('relu1')!)) as tf.Scalar, weight: 0.5 }], dispose: () => undefined }),
      },
    };
    expect(await trained(2, spec)).toEqual(await trained(1, spec));
  });

  it('leaks no tensor on this thread or the workers over a long run with SAM and a replacing tap', async () => {
    setRunThreads(2);
    const run = async (epochs: number): Promise<void> => {
      const { ctx, dispose } = await tinyTrainingContext({ count: 32, augmentation: { padCrop: 1, flip: true } });
      ctx.hooks.data.batch.tapPromise('shift', async (batch) => {
        const x = tf.tidy(() => tf.add(batch.x, 0.01)) as tf.Tensor4D;
        batch.x.dispose();
        return { x, y: batch.y };
      });
      const model = phaseModel(null, 'finetune', ctx.fp);
      await trainDefense(ctx, model, { ...SGD, epochs, batchSize: 8, labelSmoothing: 0.1, sam: { rho: 0.1 } });
      model.dispose();
      (ctx.checkpoint as MemoryCheckpoint).dispose();
      dispose();
    };
    await run(1);
    const before = tf.memory().numTensors;
    const workersBefore = await idleWorkerTensors();
    await run(20);
    expect(tf.memory().numTensors).toBe(before);
    expect(await idleWorkerTensors()).toEqual(workersBefore);
  });
});
