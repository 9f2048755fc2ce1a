import * as tf from '@tensorflow/tfjs-core';
import {
  GraphModel, cloneGraph, initBackend, trainDefense, type LossTerm,
} from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyDefenseContext } from '../../../test/helpers/defense-context.js';
import { memoryCheckpoint } from '../../../test/helpers/memory-checkpoint.js';
import { attentionDistillation } from './distillation.js';
import { nad } from './index.js';
import { stageEnds } from './stage-ends.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const weights = (m: GraphModel): number[][] => m.graph.nodes.flatMap((n) => Object.values(n.params).map((v) => Array.from(v.dataSync())));

describe('NAD', () => {
  it('pulls the student towards the teacher: the attention loss falls over training', async () => {
    const { ctx, dispose } = await tinyDefenseContext();
    // A teacher far from the student: another initialisation.
    const teacher = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8], seed: 99 });
    const layers = stageEnds(ctx.fp);
    const student = new GraphModel(cloneGraph(ctx.fp.graph));
    const report = await trainDefense(ctx, student, {
      defense: 'nad', phase: 'student', epochs: 4, optimizer: { type: 'sgd', momentum: 0.9 }, schedule: { type: 'constant', lr: 0.01 },
      extraLoss: attentionDistillation(teacher, layers, [1000, 1000, 1000], 2),
    });
    const at = report.epochs.map((e) => e.terms['nad:at1'] + e.terms['nad:at2'] + e.terms['nad:at3']);
    expect(at[at.length - 1]).toBeLessThan(at[0] * 0.8);
    [teacher, student].forEach((m) => m.dispose());
    dispose();
  });

  it('fine-tunes a teacher, then distils the three stage ends into a copy of the model; every batch goes through data.batch', async () => {
    const { ctx, fp, dispose } = await tinyDefenseContext({ preset: 'paper', options: { teacherEpochs: '1', epochs: '2', batchSize: '64' } });
    const consumers: string[] = [];
    ctx.hooks.data.batch.tapPromise('probe', async (batch, bctx) => {
      consumers.push(`${bctx.consumer} ${bctx.preset} ${bctx.epoch}`);
      return batch;
    });
    const termNames = new Set<string>();
    ctx.hooks.loss.terms.tap('probe', (terms: LossTerm[]) => {
      terms.forEach((t) => termNames.add(`${t.name}:${t.weight}`));
      return terms;
    });
    const before = weights(fp);
    const tensors = tf.memory().numTensors;
    const repaired = await nad.run(ctx);
    if (!(repaired instanceof GraphModel)) throw new Error('NAD returns a full-precision GraphModel');
    expect(repaired).not.toBe(fp);
    expect(weights(fp)).toEqual(before);
    expect(weights(repaired)).not.toEqual(before);
    // 256 images in batches of 64: 4 steps an epoch, 1 teacher epoch then 2 student epochs.
    expect(consumers).toEqual([...Array(4).fill('defense:nad paper 0'), ...Array(4).fill('defense:nad paper 0'), ...Array(4).fill('defense:nad paper 1')]);
    expect([...termNames].sort()).toEqual(['ce:1', 'nad:at1:500', 'nad:at2:1000', 'nad:at3:1000']);
    repaired.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    dispose();
  });

  it('resumes in the student phase with the teacher fine-tuned again, ending as an uninterrupted run', async () => {
    const options = { teacherEpochs: '1', epochs: '2', batchSize: '64' };
    const a = await tinyDefenseContext({ options });
    const full = (await nad.run(a.ctx)) as GraphModel;
    // Saves: teacher epoch 1, student epoch 1 (interrupted there), student epoch 2.
    const checkpoint = memoryCheckpoint(2);
    const b = await tinyDefenseContext({ options });
    const ctx = { ...b.ctx, checkpoint };
    await expect(nad.run(ctx)).rejects.toThrow('interrupted');
    const stages: string[] = [];
    const resumed = (await nad.run({ ...ctx, progress: { stage: (label) => void stages.push(label), step: () => undefined, stageDone: () => undefined } })) as GraphModel;
    expect(stages).toEqual(['teacher epoch 1/1', 'student epoch 2/2']);
    expect(checkpoint.saves).toHaveLength(3);
    expect(weights(resumed)).toEqual(weights(full));
    [full, resumed].forEach((m) => m.dispose());
    checkpoint.dispose();
    a.dispose();
    b.dispose();
  });
});
