import * as tf from '@tensorflow/tfjs-core';
import { ParallelClassifier, Sgd, StepPool, classificationStep, initBackend, variableKeys, type BackendChoice } from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { timePerCall } from './timing.js';

export interface StepTiming {
  readonly backend: string;
  readonly threads: number;
  /** Median seconds per step. */
  readonly seconds: number;
  readonly params: number;
  /** Final training loss, to show the step really trains. */
  readonly loss: number;
}

/**
 * Median seconds per training step of resnet-small on 28x28x1 inputs (SGD with momentum and
 * weight decay, BN in training mode): the step `qcb train` runs; with threads > 1 the
 * data-parallel step (ParallelClassifier) on that many workers.
 */
export async function trainingStepTime(backend: BackendChoice, batch: number, reps: number, warmup: number, threads = 1): Promise<StepTiming> {
  await initBackend(backend);
  const model = resnetSmall({ seed: 3 });
  const optimizer = new Sgd(variableKeys(model).variables, { type: 'sgd', momentum: 0.9, weightDecay: 5e-4 });
  const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 1);
  const y = tf.randomUniform([batch], 0, 10, 'int32', 2) as tf.Tensor1D;
  const pool = threads > 1 ? await StepPool.start(threads) : null;
  let loss = NaN;
  try {
    const parallel = pool ? await ParallelClassifier.start(pool, model, optimizer, { maxBatch: batch }) : null;
    const seconds = await timePerCall(async () => {
      loss = parallel ? await parallel.step(x, y, 0.01) : classificationStep(model, optimizer, x, y, 0.01);
    }, reps, warmup);
    return { backend: tf.getBackend(), threads: pool?.size ?? 1, seconds, params: model.paramCounts().total, loss };
  } finally {
    await pool?.close();
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  }
}
