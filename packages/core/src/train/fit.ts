import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '../ir/graph-model.js';
import type { Batch } from '../kernel/hook-types.js';
import type { ParallelClassifier } from '../parallel/parallel-classifier.js';
import type { Optimizer } from './optimizers/optimizer.js';
import type { LrSchedule } from './schedules.js';
import { trainStep } from './train-step.js';

export interface StepContext {
  readonly epoch: number;
  readonly step: number;
  readonly lr: number;
}

/** How often long runs checkpoint inside an epoch by default: losing at most this much work when stopped. */
export const DEFAULT_CHECKPOINT_SECONDS = 600;

/** Where a run stands: steps done in `epoch`, and the sum of their losses (for the epoch's mean). */
export interface FitPosition {
  readonly epoch: number;
  readonly step: number;
  readonly lossSum: number;
}

export interface FitOptions {
  /** The model trained: its dropout masks are seeded by each batch's seed (Batch.seed). */
  readonly model?: GraphModel;
  readonly epochs: number;
  /** Epochs already done (a resumed run). */
  readonly startEpoch?: number;
  /** Steps of `startEpoch` already done and the sum of their losses (a run resumed mid-epoch). */
  readonly startStep?: number;
  readonly startLossSum?: number;
  readonly stepsPerEpoch: number;
  readonly optimizer: Optimizer;
  readonly schedule: LrSchedule;
  /** The batches of an epoch from step `fromStep` on; the loop disposes each one. */
  readonly batches: (epoch: number, fromStep: number) => Iterable<Batch>;
  /** The scalar loss of a batch; runs under gradient recording. */
  readonly loss: (batch: Batch, ctx: StepContext) => tf.Scalar;
  /**
   * Steps data-parallel instead (its loss must be the one `loss` computes); the model and
   * optimizer stay this thread's replica, and `afterStep`'s change goes to the workers'.
   */
  readonly parallel?: ParallelClassifier | null;
  /** After each update (e.g. a projection of the weights). */
  readonly afterStep?: (ctx: StepContext) => void;
  readonly onStep?: (ctx: StepContext, loss: number) => void;
  /** After each epoch with its mean loss: checkpoint and report here. */
  readonly onEpochEnd?: (epoch: number, meanLoss: number) => Promise<void> | void;
  /**
   * Mid-epoch checkpoints, so that an epoch longer than a working session is not lost when
   * the run is stopped: `onCheckpoint` runs after the first step that ends this many seconds
   * after the run's start, the last epoch's end or the last checkpoint (never after an
   * epoch's last step, where `onEpochEnd` follows).
   */
  readonly checkpointSeconds?: number;
  readonly onCheckpoint?: (at: FitPosition) => Promise<void> | void;
}

/** The generic training loop every trainer of qcb (clean training, attacks, baselines) runs. */
export async function fit(o: FitOptions): Promise<void> {
  const total = o.epochs * o.stepsPerEpoch;
  const startEpoch = o.startEpoch ?? 0;
  let lastCheckpoint = performance.now();
  for (let epoch = startEpoch; epoch < o.epochs; epoch++) {
    const resumed = epoch === startEpoch;
    let step = resumed ? (o.startStep ?? 0) : 0;
    let sum = resumed ? (o.startLossSum ?? 0) : 0;
    for (const batch of o.batches(epoch, step)) {
      const ctx: StepContext = { epoch, step, lr: o.schedule((epoch * o.stepsPerEpoch + step) / total) };
      let loss: number;
      try {
        o.model?.seedDropout(batch.seed ?? null);
        loss = o.parallel ? (await o.parallel.step(batch.x, batch.y, ctx.lr, batch.seed)).loss : trainStep(o.optimizer, () => o.loss(batch, ctx), ctx.lr);
      } finally {
        tf.dispose([batch.x, batch.y]);
      }
      o.afterStep?.(ctx);
      if (o.afterStep && o.parallel) await o.parallel.pushModel();
      sum += loss;
      o.onStep?.(ctx, loss);
      step++;
      if (o.onCheckpoint && step < o.stepsPerEpoch && (performance.now() - lastCheckpoint) / 1000 >= (o.checkpointSeconds ?? Infinity)) {
        await o.onCheckpoint({ epoch, step, lossSum: sum });
        lastCheckpoint = performance.now();
      }
      // Let timers and signals through between steps.
      if (step % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    await o.onEpochEnd?.(epoch, sum / Math.max(1, step));
    lastCheckpoint = performance.now();
  }
}
