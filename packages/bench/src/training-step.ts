import * as tf from '@tensorflow/tfjs-core';
import { classificationStep, initBackend, type BackendChoice } from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { timePerCall } from './timing.js';

export interface StepTiming {
  readonly backend: string;
  readonly seconds: number;
  readonly params: number;
  /** Final training loss, to show the step really trains. */
  readonly loss: number;
}

/** Seconds per training step of resnet-small on 28x28x1 inputs (SGD with momentum, BN in training mode). */
export async function trainingStepTime(backend: BackendChoice, batch: number, reps: number, warmup: number): Promise<StepTiming> {
  await initBackend(backend);
  const model = resnetSmall({ seed: 3 });
  const optimizer = tf.train.momentum(0.01, 0.9);
  const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 1);
  const y = tf.randomUniform([batch], 0, 10, 'int32', 2) as tf.Tensor1D;
  let loss = NaN;
  const seconds = await timePerCall(() => {
    loss = classificationStep(model, optimizer, x, y);
  }, reps, warmup);
  const params = model.paramCounts().total;
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return { backend: tf.getBackend(), seconds, params, loss };
}
