import * as tf from '@tensorflow/tfjs-core';
import { Sgd, classificationStep, initBackend, variableKeys, type BackendChoice } from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { timePerCall } from './timing.js';

export interface StepTiming {
  readonly backend: string;
  readonly seconds: number;
  readonly params: number;
  /** Final training loss, to show the step really trains. */
  readonly loss: number;
}

/** Seconds per training step of resnet-small on 28x28x1 inputs (SGD with momentum and weight decay, BN in training mode): the step `qcb train` runs. */
export async function trainingStepTime(backend: BackendChoice, batch: number, reps: number, warmup: number): Promise<StepTiming> {
  await initBackend(backend);
  const model = resnetSmall({ seed: 3 });
  const optimizer = new Sgd(variableKeys(model).variables, { type: 'sgd', momentum: 0.9, weightDecay: 5e-4 });
  const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 1);
  const y = tf.randomUniform([batch], 0, 10, 'int32', 2) as tf.Tensor1D;
  let loss = NaN;
  const seconds = await timePerCall(() => {
    loss = classificationStep(model, optimizer, x, y, 0.01);
  }, reps, warmup);
  const params = model.paramCounts().total;
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return { backend: tf.getBackend(), seconds, params, loss };
}
