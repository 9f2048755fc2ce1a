import * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../../errors.js';
import type { GraphModel } from '../../ir/graph-model.js';
import type { Batch } from '../../kernel/hook-types.js';
import { epochBatches, stepsPerEpoch, type EpochBatchOptions } from '../../train/epoch-batches.js';
import { createOptimizer } from '../../train/optimizers/index.js';
import { lrSchedule } from '../../train/schedules.js';
import { variableKeys } from '../../train/train-classifier.js';
import { refuseUnfitTraining, trainingFits, trainingPlan } from '../../runtime/memory/training-plan.js';
import { ParallelClassifier } from '../../parallel/parallel-classifier.js';
import { resolveBatchSize } from './batch-size.js';
import { batchStep } from './batch-step.js';
import { EpochMeans } from './epoch-means.js';
import { Sam } from './sam.js';
import type { DefenseTrainingReport, DefenseTrainingSpec, TrainingDefenseContext, TrainingEpochReport } from './spec.js';

function checkSpec(model: GraphModel, spec: DefenseTrainingSpec, count: number): void {
  if (count < 1) throw new QcbError('E_USAGE', `${spec.defense}: the defender's share holds no labelled image to train on`);
  if (!(Number.isInteger(spec.epochs) && spec.epochs >= 0)) throw new QcbError('E_USAGE', `${spec.defense}: epochs must be a non-negative integer, got ${spec.epochs}`);
  const resume = spec.resume?.phase === spec.phase ? spec.resume : null;
  if (resume && resume.model !== model) throw new QcbError('E_USAGE', `${spec.defense}: phase "${spec.phase}" resumes from a checkpoint and must train the checkpoint's model`);
  if (resume && resume.epoch > spec.epochs) {
    throw new QcbError('E_USAGE', `the checkpoint is at epoch ${resume.epoch} of phase "${spec.phase}", which now has ${spec.epochs} (delete it to start over, or rerun with the same options)`);
  }
  // model.node throws a one-line error that names the graph and the missing node.
  for (const name of spec.extraLoss?.nodes ?? []) model.node(name);
}

/**
 * The phase's batch size: the preset's or the user's when set (refused with a one-line error
 * when it cannot fit memory: it is a hyperparameter), else the input-size default, lowered to
 * what fits with a note.
 */
function fittingBatchSize(ctx: TrainingDefenseContext, model: GraphModel, spec: DefenseTrainingSpec, count: number): number {
  const size = resolveBatchSize(spec.batchSize, count, model.inputShape);
  const plan = trainingPlan(model, size);
  if (trainingFits(plan)) return size;
  if (spec.batchSize && spec.batchSize > 0) refuseUnfitTraining(plan, `${spec.defense}'s batchSize option`);
  if (!plan.fits) refuseUnfitTraining(plan);
  ctx.progress.note?.(`${spec.defense}: training in batches of ${plan.batch} (the default ${size} does not fit the ${plan.budget.kind} budget)`);
  return plan.batch;
}

/**
 * Whether the phase's loss can run on pool workers: the run's `loss.terms` taps are
 * closures over this thread's tensors, and so is an extra loss that does not say how a
 * worker builds it (ExtraLoss.portable).
 */
function poolCanTrain(ctx: TrainingDefenseContext, spec: DefenseTrainingSpec): boolean {
  return ctx.hooks.loss.terms.taps.length === 0 && (!spec.extraLoss || spec.extraLoss.portable !== undefined);
}

/**
 * Trains `model` (a copy the defense owns, never ctx.fp) for one phase of a training
 * defense on the defender's labelled share. Every batch: the dataset's augmentation, the
 * run's `data.batch` waterfall (PDA moves the images there), then one step (SGD or Adam
 * on a schedule, optionally SAM, cross-entropy with optional label smoothing plus the
 * defense's extra terms and the run's `loss.terms`). At every epoch end a checkpoint
 * (`done` counts epochs over all phases, state `{ phase, epoch }`, the optimizer's slots),
 * so that a resumed phase continues with the same weights, slots and batches.
 *
 * With runThreads() above 1 (--threads), no `loss.terms` tap and extra terms that a worker
 * can build (ExtraLoss.portable), the steps run data-parallel on that many threads
 * (ParallelClassifier; SAM's ascent from the summed gradient), this thread taking a share: the batches still pass the waterfall here, once
 * each, `model` holds the weights of the last step, and `afterStep`'s change to the model
 * goes to the workers' replicas.
 */
export async function trainDefense(ctx: TrainingDefenseContext, model: GraphModel, spec: DefenseTrainingSpec): Promise<DefenseTrainingReport> {
  const data = spec.data ?? ctx.data;
  checkSpec(model, spec, data.count);
  const resume = spec.resume?.phase === spec.phase ? spec.resume : null;
  const batchSize = fittingBatchSize(ctx, model, spec, data.count);
  const augment = spec.augment === undefined ? ctx.augmentation : spec.augment;
  const batchOptions: EpochBatchOptions = { batchSize, seed: spec.seed ?? ctx.seed, normalization: ctx.normalization, ...(augment ? { augment } : {}) };
  const steps = stepsPerEpoch(data.count, batchOptions);
  const total = spec.epochs * steps;
  const schedule = lrSchedule(spec.schedule);
  const consumer = `defense:${spec.defense}`;
  const setup = {
    model, hooks: ctx.hooks, stage: consumer, bn: spec.bn ?? 'train', labelSmoothing: spec.labelSmoothing ?? 0,
    ...(spec.extraLoss ? { extraLoss: spec.extraLoss } : {}),
  };
  const { variables, keys } = variableKeys(model);
  const optimizer = createOptimizer(spec.optimizer, variables, keys);
  const sam = spec.sam ? new Sam(optimizer, spec.sam) : null;
  const reports: TrainingEpochReport[] = [];
  let parallel: ParallelClassifier | null = null;
  try {
    if (resume) optimizer.loadState(resume.slots);
    if (poolCanTrain(ctx, spec) && total > 0) {
      parallel = await ParallelClassifier.open(model, optimizer, {
        maxBatch: batchSize, loss: { labelSmoothing: spec.labelSmoothing ?? 0, bn: spec.bn ?? 'train', sam: spec.sam ?? null },
        ...(spec.extraLoss ? { extraLoss: spec.extraLoss } : {}),
      });
    }
    for (let epoch = resume?.epoch ?? 0; epoch < spec.epochs; epoch++) {
      ctx.progress.stage(`${spec.phase} epoch ${epoch + 1}/${spec.epochs}`, steps);
      const means = new EpochMeans();
      let step = 0;
      for (const raw of epochBatches(data, epoch, batchOptions)) {
        let batch: Batch = raw;
        try {
          batch = await ctx.hooks.data.batch.promise(raw, { consumer, model, epoch, step, preset: ctx.preset, options: ctx.options });
          const lr = schedule((epoch * steps + step) / total);
          model.seedDropout(raw.seed ?? null);
          const result = parallel ? await parallel.step(batch.x, batch.y, lr, raw.seed) : batchStep(setup, optimizer, sam, batch, lr);
          spec.afterStep?.(model);
          if (spec.afterStep && parallel) await parallel.pushModel();
          means.add(result.loss, result.terms);
          ctx.progress.step(step + 1, `loss ${result.loss.toPrecision(4)}`);
        } finally {
          // The loop owns the batch the waterfall returns and the one it made (a tap that
          // replaced the images may have released them already: dispose is idempotent).
          tf.dispose([raw.x, raw.y, batch.x, batch.y]);
        }
        step++;
        // Let timers and signals through between steps.
        if (step % 20 === 0) await new Promise((r) => setImmediate(r));
      }
      const report = means.report(spec.phase, epoch);
      reports.push(report);
      ctx.progress.stageDone(`loss ${report.loss.toPrecision(4)}`);
      if (spec.checkpoints ?? true) {
        await ctx.checkpoint.save((spec.epochOffset ?? 0) + epoch + 1, model, { state: { phase: spec.phase, epoch: epoch + 1 }, slots: await optimizer.state() });
      }
    }
  } finally {
    await parallel?.close();
    optimizer.dispose();
  }
  return { batchSize, stepsPerEpoch: steps, epochs: reports };
}
