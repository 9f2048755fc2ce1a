import * as tf from '@tensorflow/tfjs-core';
import {
  ParallelClassifier, QcbError, createOptimizer, crossEntropy, epochBatches, lrSchedule, mulberry32, resolveBatchSize, stepsPerEpoch, variableKeys, weightedSum,
  type Batch, type DefenseContext, type EpochBatchOptions, type GraphModel, type ImageSet, type Optimizer, type OptimizerSpec,
  type ScheduleSpec, type TrainingResume,
} from '@qcb/core';
import { bezierWeights, type BezierCurve } from './bezier.js';

export const CURVE_PHASE = 'curve';

export interface CurveTrainingSpec {
  readonly epochs: number;
  /** Images per step (default `defaultBatchSize`). */
  readonly batchSize?: number;
  readonly optimizer: OptimizerSpec;
  readonly schedule: ScheduleSpec;
  /** Default: `ctx.data`. */
  readonly data?: ImageSet;
  /** Epochs of the endpoint phase, added to the checkpoint's `done`. */
  readonly epochOffset?: number;
  /** Continue from here when its phase is the curve's (the curve's middle must be `resume.model`). */
  readonly resume?: TrainingResume | null;
}

/** The t of one step: uniform in [0, 1), seeded by (seed, epoch, step) so that a resumed run draws the same. */
export function curveT(seed: number, epoch: number, step: number): number {
  return mulberry32(((seed * 100_003 + epoch) * 1_000_003 + step) >>> 0)();
}

/** Copies the BN moving statistics (the untrained parameters) of `from` into `to`. */
export function copyStatistics(from: GraphModel, to: GraphModel): void {
  for (const node of to.graph.nodes) for (const name of node.frozen) node.params[name]?.assign(from.node(node.name).params[name]);
}

/** One update of the middle bend: cross-entropy (and the run's `loss.terms`) of the model at phi(t). */
function curveStep(ctx: DefenseContext, curve: BezierCurve, work: GraphModel, optimizer: Optimizer, batch: Batch, t: number, lr: number): number {
  const vars = [...optimizer.variables];
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      // BN normalises with the batch and the working model's moving statistics follow the
      // points visited (BackdoorBench's MCR trains its sampled model in train mode).
      const logits = work.predict(batch.x, { training: true, updateStats: true, transform: curve.transform(t) });
      const terms = ctx.hooks.loss.terms.call([{ name: 'ce', value: crossEntropy(logits, batch.y), weight: 1 }], { stage: 'defense:mcr', model: work });
      return weightedSum(terms);
    }, vars);
    optimizer.step(vars.map((v) => grads[v.name] ?? tf.zerosLike(v)), lr);
    return value.dataSync()[0];
  });
}

/**
 * The same update with the batch's gradient computed on the pool: `work` holds phi(t), whose
 * weights and BN statistics go to the workers first; the gradient with respect to phi(t),
 * summed over the threads, times dphi/dtheta_mid = 2t(1 - t), updates the middle bend.
 */
async function curveStepOnPool(parallel: ParallelClassifier, optimizer: Optimizer, batch: Batch, t: number, lr: number, seed: number | undefined): Promise<number> {
  await parallel.pushModel();
  const { loss, gradient } = await parallel.gradient(batch.x, batch.y, seed);
  const along = bezierWeights(t)[1];
  tf.tidy(() => {
    let at = 0;
    const grads = optimizer.variables.map((v) => {
      const g = tf.mul(tf.tensor(gradient.subarray(at, at + v.size), v.shape), along);
      at += v.size;
      return g;
    });
    optimizer.step(grads, lr);
  });
  return loss;
}

/**
 * Trains the middle bend of `curve` on the defender's share (Zhao et al. 2020, the curve
 * of Garipov et al.): each batch draws t ~ U(0, 1) and minimises the cross-entropy of the
 * model with weights phi(t); only the middle bend's variables move (SGD, its own weight
 * decay), the endpoints stay fixed. `work` (a model of the same graph) holds phi(t) for
 * the batch: it is the model the run's `data.batch` hook sees (consumer `defense:mcr`, so
 * PDA composes) and whose BN moving statistics follow the curve. A checkpoint at every
 * epoch end holds the middle bend with those statistics (state `{ phase: 'curve', epoch }`).
 * With --threads above 1 and no `loss.terms` tap, each batch's gradient is computed
 * data-parallel (each thread normalising its shard with the shard's BN statistics).
 * Returns the mean loss of each epoch run.
 */
export async function trainCurve(ctx: DefenseContext, curve: BezierCurve, work: GraphModel, spec: CurveTrainingSpec): Promise<number[]> {
  const data = spec.data ?? ctx.data;
  if (data.count < 1) throw new QcbError('E_USAGE', 'mcr: the defender\'s share holds no labelled image to train on');
  const resume = spec.resume?.phase === CURVE_PHASE ? spec.resume : null;
  if (resume && resume.model !== curve.mid) throw new QcbError('E_USAGE', 'mcr: a resumed curve must train the checkpoint\'s middle bend');
  if (resume && resume.epoch > spec.epochs) {
    throw new QcbError('E_USAGE', `the checkpoint is at epoch ${resume.epoch} of phase "${CURVE_PHASE}", which now has ${spec.epochs} (delete it to start over, or rerun with the same options)`);
  }
  const batchSize = resolveBatchSize(spec.batchSize, data.count, work.inputShape);
  const batchOptions: EpochBatchOptions = { batchSize, seed: ctx.seed, normalization: ctx.normalization, ...(ctx.augmentation ? { augment: ctx.augmentation } : {}) };
  const steps = stepsPerEpoch(data.count, batchOptions);
  const schedule = lrSchedule(spec.schedule);
  const { variables, keys } = variableKeys(curve.mid);
  const optimizer = createOptimizer(spec.optimizer, variables, keys);
  const losses: number[] = [];
  let parallel: ParallelClassifier | null = null;
  try {
    if (resume) optimizer.loadState(resume.slots);
    if (ctx.hooks.loss.terms.taps.length === 0 && spec.epochs > (resume?.epoch ?? 0)) {
      // The gradient comes back in the order of work's trainable parameters: the middle bend's.
      const onWork = variableKeys(work);
      if (onWork.keys.join() !== keys.join()) throw new QcbError('E_USAGE', 'mcr: the working model\'s parameters differ from the curve\'s');
      parallel = await ParallelClassifier.openGradients(work, onWork.variables, { maxBatch: batchSize });
    }
    for (let epoch = resume?.epoch ?? 0; epoch < spec.epochs; epoch++) {
      ctx.progress.stage(`${CURVE_PHASE} epoch ${epoch + 1}/${spec.epochs}`, steps);
      let sum = 0;
      let step = 0;
      for (const raw of epochBatches(data, epoch, batchOptions)) {
        let batch: Batch = raw;
        try {
          const t = curveT(ctx.seed, epoch, step);
          curve.assign(work, t);
          batch = await ctx.hooks.data.batch.promise(raw, { consumer: 'defense:mcr', model: work, epoch, step, preset: ctx.preset, options: ctx.options });
          const lr = schedule((epoch * steps + step) / (spec.epochs * steps));
          work.seedDropout(raw.seed ?? null);
          const loss = parallel ? await curveStepOnPool(parallel, optimizer, batch, t, lr, raw.seed) : curveStep(ctx, curve, work, optimizer, batch, t, lr);
          sum += loss;
          ctx.progress.step(step + 1, `t ${t.toFixed(2)} loss ${loss.toPrecision(4)}`);
        } finally {
          tf.dispose([raw.x, raw.y, batch.x, batch.y]);
        }
        step++;
        if (step % 20 === 0) await new Promise((r) => setImmediate(r));
      }
      losses.push(sum / Math.max(1, step));
      ctx.progress.stageDone(`loss ${losses[losses.length - 1].toPrecision(4)}`);
      copyStatistics(work, curve.mid);
      await ctx.checkpoint.save((spec.epochOffset ?? 0) + epoch + 1, curve.mid, { state: { phase: CURVE_PHASE, epoch: epoch + 1 }, slots: await optimizer.state() });
    }
  } finally {
    await parallel?.close();
    optimizer.dispose();
  }
  return losses;
}
