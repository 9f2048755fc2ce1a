import * as tf from '@tensorflow/tfjs-core';
import {
  GraphModel, cloneGraph, setRunThreads, trainDefense, type DefenseContext, type DefenseTrainingReport, type DefenseTrainingSpec,
} from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { describe, expect, it } from 'vitest';
import { tinyDefenseContext } from '../../../test/helpers/defense-context.js';
import { idleWorkerTensors, useThreads } from '../../../test/helpers/threads.js';
import { attentionDistillation } from './distillation.js';
import { nad } from './index.js';
import { stageEnds } from './stage-ends.js';

useThreads();

const weights = (m: GraphModel): number[] => m.graph.nodes.flatMap((n) => Object.values(n.params).flatMap((v) => Array.from(v.dataSync())));

/** A student distilled from a fixed teacher for one phase on `threads` threads: its weights and report. */
async function distil(ctx: DefenseContext, threads: number, spec: Partial<DefenseTrainingSpec> = {}, beta = 1000): Promise<{ w: number[]; report: DefenseTrainingReport }> {
  setRunThreads(threads);
  const teacher = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8], seed: 99 });
  const student = new GraphModel(cloneGraph(ctx.fp.graph));
  const report = await trainDefense(ctx, student, {
    defense: 'nad', phase: 'student', epochs: 2, batchSize: 32, checkpoints: false,
    optimizer: { type: 'sgd', momentum: 0.9 }, schedule: { type: 'constant', lr: 0.01 },
    extraLoss: attentionDistillation(teacher, stageEnds(ctx.fp), [beta, beta, beta], 2), ...spec,
  });
  const w = weights(student);
  [teacher, student].forEach((m) => m.dispose());
  return { w, report };
}

describe('NAD on two threads', () => {
  it("distils on the workers: with BN on its moving statistics, the one-thread phase's weights and terms up to float rounding", async () => {
    const { ctx, dispose } = await tinyDefenseContext();
    // In eval mode BN does not normalise each shard with its own statistics, so only the
    // order of the float sums differs between one thread and two.
    // (NAD's betas of 1000 diverge with BN frozen; 10 does not.)
    const one = await distil(ctx, 1, { bn: 'eval' }, 10);
    const two = await distil(ctx, 2, { bn: 'eval' }, 10);
    expect(one.w.every(Number.isFinite)).toBe(true);
    expect(two.w).not.toEqual(one.w);
    const gap = Math.max(...two.w.map((v, i) => Math.abs(v - one.w[i])));
    expect(gap).toBeLessThan(1e-4);
    for (const [e, epoch] of two.report.epochs.entries()) {
      expect(Object.keys(epoch.terms)).toEqual(['ce', 'nad:at1', 'nad:at2', 'nad:at3']);
      for (const [name, value] of Object.entries(epoch.terms)) expect(value).toBeCloseTo(one.report.epochs[e].terms[name], 4);
      expect(epoch.loss).toBeCloseTo(one.report.epochs[e].loss, 3);
    }
    // The attention terms are not zero: the workers' teacher is the one given.
    expect(two.report.epochs[0].terms['nad:at3']).toBeGreaterThan(1e-6);
    dispose();
  });

  it('gives the same student twice for the same seed, and leaks no tensor here or on the workers', async () => {
    const { ctx, dispose } = await tinyDefenseContext({ options: { teacherEpochs: '1', epochs: '2', batchSize: '32' } });
    await distil(ctx, 2);
    setRunThreads(2);
    const workersBefore = await idleWorkerTensors();
    const before = tf.memory().numTensors;
    const a = (await nad.run(ctx)) as GraphModel;
    const b = (await nad.run(ctx)) as GraphModel;
    expect(weights(b)).toEqual(weights(a));
    [a, b].forEach((m) => m.dispose());
    expect(tf.memory().numTensors).toBe(before);
    expect(await idleWorkerTensors()).toEqual(workersBefore);
    dispose();
  });
});
