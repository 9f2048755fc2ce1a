import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cloneGraph } from '../../ir/clone-graph.js';
import { GraphModel } from '../../ir/graph-model.js';
import type { Batch, BatchContext } from '../../kernel/hook-types.js';
import { initBackend } from '../../runtime/backend.js';
import { augmentationModule } from '../defense-module.js';
import { loadTrainingResume, phaseModel } from './resume.js';
import type { DefenseTrainingSpec } from './spec.js';
import { MemoryCheckpoint, tinyTrainingContext } from './testing/training-context.js';
import { trainDefense } from './train-defense.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const SGD: DefenseTrainingSpec = {
  defense: 'test', phase: 'finetune', epochs: 2, batchSize: 16,
  optimizer: { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 }, schedule: { type: 'cosine', lr: 0.05 },
};

function weights(model: GraphModel): number[][] {
  return model.graph.nodes.flatMap((n) => Object.values(n.params).map((v) => Array.from(v.dataSync())));
}

describe('trainDefense', () => {
  it('passes every batch through data.batch once, with the run preset, options, model, epoch and step', async () => {
    const { ctx, dispose } = await tinyTrainingContext({ preset: 'paper', options: { 'probe.k': '3' } });
    const seen: BatchContext[] = [];
    ctx.hooks.data.batch.tapPromise('probe', async (batch, bctx) => {
      seen.push(bctx);
      expect(batch.x.shape).toEqual([16, 8, 8, 1]);
      return batch;
    });
    const model = phaseModel(null, 'finetune', ctx.fp);
    const report = await trainDefense(ctx, model, SGD);
    // 64 images, batches of 16: 4 steps an epoch.
    expect(report.stepsPerEpoch).toBe(4);
    expect(seen).toHaveLength(2 * 4);
    seen.forEach((c, i) => {
      expect(c).toMatchObject({ consumer: 'defense:test', epoch: Math.floor(i / 4), step: i % 4, preset: 'paper' });
      expect(c.options).toBe(ctx.options);
      expect(c.model).toBe(model);
    });
    model.dispose();
    dispose();
  });

  it('trains on the batch the waterfall returns and releases both it and the one it replaced', async () => {
    const { ctx, dispose } = await tinyTrainingContext();
    const replaced: tf.Tensor[] = [];
    ctx.hooks.data.batch.tapPromise('zero', async (batch) => {
      replaced.push(batch.x);
      // A tap that replaces the images without releasing the old ones: the loop releases them.
      return { x: tf.zerosLike(batch.x), y: batch.y };
    });
    const inputs: number[] = [];
    ctx.hooks.loss.terms.tap('probe', (terms, lctx) => {
      expect(lctx.stage).toBe('defense:test');
      return terms;
    });
    ctx.hooks.data.batch.tapPromise('after', async (batch) => {
      inputs.push(tf.tidy(() => tf.sum(tf.abs(batch.x)).dataSync()[0]));
      return batch;
    });
    const model = phaseModel(null, 'finetune', ctx.fp);
    const before = tf.memory().numTensors;
    await trainDefense(ctx, model, { ...SGD, epochs: 1 });
    // The memory checkpoint keeps a copy of the model.
    (ctx.checkpoint as MemoryCheckpoint).dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(inputs.every((v) => v === 0)).toBe(true);
    expect(replaced.every((x) => x.isDisposed)).toBe(true);
    model.dispose();
    dispose();
  });

  it('applies no augmentation plugin the run did not select', async () => {
    let calls = 0;
    const probe = augmentationModule('probe', 'counts batches', (run) => {
      run.hooks.data.batch.tapPromise('probe', async (batch) => {
        calls++;
        return batch;
      });
    });
    const unselected = await tinyTrainingContext({ modules: [probe] });
    expect(unselected.ctx.hooks.data.batch.taps).toHaveLength(0);
    const a = phaseModel(null, 'finetune', unselected.ctx.fp);
    await trainDefense(unselected.ctx, a, SGD);
    expect(calls).toBe(0);
    a.dispose();
    unselected.dispose();
    const selected = await tinyTrainingContext({ modules: [probe], augmentations: ['probe'] });
    const b = phaseModel(null, 'finetune', selected.ctx.fp);
    await trainDefense(selected.ctx, b, SGD);
    expect(calls).toBe(8);
    b.dispose();
    selected.dispose();
  });

  it("applies the dataset's crop and flip when the context names them, and none with augment: null", async () => {
    const firstBatch = async (augmentation: { padCrop?: number; flip?: boolean } | undefined, augment?: null): Promise<number[]> => {
      const { ctx, dispose } = await tinyTrainingContext(augmentation ? { augmentation } : {});
      let first: number[] | null = null;
      ctx.hooks.data.batch.tapPromise('probe', async (batch: Batch) => {
        first ??= Array.from(batch.x.dataSync());
        return batch;
      });
      const model = phaseModel(null, 'finetune', ctx.fp);
      await trainDefense(ctx, model, { ...SGD, epochs: 1, ...(augment === null ? { augment: null } : {}) });
      model.dispose();
      dispose();
      return first!;
    };
    const plain = await firstBatch(undefined);
    const augmented = await firstBatch({ padCrop: 2, flip: true });
    expect(augmented).not.toEqual(plain);
    expect(await firstBatch({ padCrop: 2, flip: true }, null)).toEqual(plain);
  });

  it('checkpoints every epoch (done over all phases, phase and epoch, slots) and a resumed run ends with the same weights', async () => {
    const spec: DefenseTrainingSpec = { ...SGD, epochs: 3, epochOffset: 2, labelSmoothing: 0.1, sam: { rho: 0.5 } };
    const straight = new MemoryCheckpoint();
    const a = await tinyTrainingContext({ checkpoint: straight });
    const full = phaseModel(null, 'finetune', a.ctx.fp);
    await trainDefense(a.ctx, full, spec);
    expect(straight.saves).toBe(3);
    expect(straight.saved!.done).toBe(5);
    expect(straight.saved!.state).toEqual({ phase: 'finetune', epoch: 3 });
    expect(straight.saved!.slots!.map((s) => s.name)).toContain('sgd/velocity/conv1/kernel');

    // Interrupted after the first epoch's checkpoint, then resumed from it.
    const interrupted = new MemoryCheckpoint(1);
    const b = await tinyTrainingContext({ checkpoint: interrupted });
    const partial = phaseModel(null, 'finetune', b.ctx.fp);
    await expect(trainDefense(b.ctx, partial, spec)).rejects.toThrow('interrupted');
    partial.dispose();
    interrupted.interruptAfter = 0;
    const resume = await loadTrainingResume(b.ctx, ['finetune']);
    expect(resume).toMatchObject({ phase: 'finetune', epoch: 1, done: 3 });
    const resumed = phaseModel(resume, 'finetune', b.ctx.fp);
    expect(resumed).toBe(resume!.model);
    const report = await trainDefense(b.ctx, resumed, { ...spec, resume });
    expect(report.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(weights(resumed)).toEqual(weights(full));
    [full, resumed].forEach((m) => m.dispose());
    [straight, interrupted].forEach((c) => c.dispose());
    a.dispose();
    b.dispose();
  });

  it('resumes Adam exactly too, and refuses a checkpoint of another phase', async () => {
    const spec: DefenseTrainingSpec = { ...SGD, epochs: 2, optimizer: { type: 'adam' }, schedule: { type: 'constant', lr: 1e-3 } };
    const a = await tinyTrainingContext();
    const full = phaseModel(null, 'finetune', a.ctx.fp);
    await trainDefense(a.ctx, full, spec);
    const checkpoint = new MemoryCheckpoint(1);
    const b = await tinyTrainingContext({ checkpoint });
    const partial = phaseModel(null, 'finetune', b.ctx.fp);
    await expect(trainDefense(b.ctx, partial, spec)).rejects.toThrow('interrupted');
    partial.dispose();
    checkpoint.interruptAfter = 0;
    await expect(loadTrainingResume(b.ctx, ['teacher', 'student'])).rejects.toThrow(/phase "finetune", expected teacher or student/);
    const resume = await loadTrainingResume(b.ctx, ['finetune']);
    const resumed = phaseModel(resume, 'finetune', b.ctx.fp);
    await trainDefense(b.ctx, resumed, { ...spec, resume });
    expect(weights(resumed)).toEqual(weights(full));
    [full, resumed].forEach((m) => m.dispose());
    checkpoint.dispose();
    a.dispose();
    b.dispose();
  });

  it('adds the extra terms of a batch, read from the same forward pass, and reports their epoch means', async () => {
    const { ctx, dispose } = await tinyTrainingContext();
    const model = phaseModel(null, 'finetune', ctx.fp);
    let prepared = 0;
    let released = 0;
    const report = await trainDefense(ctx, model, {
      ...SGD,
      extraLoss: {
        nodes: ['relu1'],
        forBatch: () => {
          prepared++;
          return {
            terms: (features) => [{ name: 'energy', value: tf.mean(tf.square(features.get('relu1')!)) as tf.Scalar, weight: 0.5 }],
            dispose: () => void released++,
          };
        },
      },
    });
    expect(prepared).toBe(8);
    expect(released).toBe(8);
    for (const e of report.epochs) {
      expect(Object.keys(e.terms)).toEqual(['ce', 'energy']);
      expect(e.loss).toBeCloseTo(e.terms['ce'] + 0.5 * e.terms['energy'], 4);
    }
    await expect(trainDefense(ctx, model, { ...SGD, extraLoss: { nodes: ['nope'], forBatch: () => ({ terms: () => [], dispose: () => undefined }) } })).rejects.toThrow(/no node "nope"/);
    model.dispose();
    dispose();
  });

  it('leaks no tensor over a long run with SAM, label smoothing, extra terms and a replacing tap', async () => {
    const { ctx, dispose } = await tinyTrainingContext({ count: 32, augmentation: { padCrop: 1, flip: true } });
    ctx.hooks.data.batch.tapPromise('shift', async (batch) => {
      const x = tf.tidy(() => tf.add(batch.x, 0.01)) as tf.Tensor4D;
      batch.x.dispose();
      return { x, y: batch.y };
    });
    const before = tf.memory().numTensors;
    const model = new GraphModel(cloneGraph(ctx.fp.graph));
    await trainDefense(ctx, model, {
      ...SGD, epochs: 20, batchSize: 8, labelSmoothing: 0.1, sam: { rho: 0.1 },
      extraLoss: {
        nodes: ['add'],
        forBatch: (batch) => {
          const target = tf.tidy(() => tf.mean(batch.x));
          return { terms: (f) => [{ name: 'x', value: tf.mean(tf.square(tf.sub(f.get('add')!, target))) as tf.Scalar, weight: 1e-3 }], dispose: () => target.dispose() };
        },
      },
    });
    model.dispose();
    (ctx.checkpoint as MemoryCheckpoint).dispose();
    expect(tf.memory().numTensors).toBe(before);
    dispose();
  });
});
