import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../../kernel/hook-types.js';
import type { Optimizer } from '../../train/optimizers/index.js';
import { trainStep } from '../../train/train-step.js';
import { batchTerms, weightedSum, type BatchLossSetup } from './batch-loss.js';
import type { Sam } from './sam.js';

export interface BatchStepResult {
  /** The loss at the weights before the step. */
  readonly loss: number;
  /** Each term's value (before weighting) at those weights. */
  readonly terms: Readonly<Record<string, number>>;
}

/** One update of the model on a batch, plain or SAM; everything it allocates is released. */
export function batchStep(s: BatchLossSetup, optimizer: Optimizer, sam: Sam | null, batch: Batch, lr: number): BatchStepResult {
  const extra = s.extraLoss?.forBatch(batch) ?? null;
  let names: string[] = [];
  let values: tf.Tensor | null = null;
  try {
    const loss = (perturbed: boolean): tf.Scalar => {
      const terms = batchTerms(s, batch, extra, perturbed);
      if (!perturbed) {
        names = terms.map((t) => t.name);
        // Kept past the gradient's scope: read once after the step.
        values = tf.keep(tf.stack(terms.map((t) => t.value)));
      }
      return weightedSum(terms);
    };
    const value = sam ? sam.step(loss, lr).loss : trainStep(optimizer, () => loss(false), lr);
    const read = values ? (values as tf.Tensor).dataSync() : new Float32Array(0);
    return { loss: value, terms: Object.fromEntries(names.map((n, i) => [n, read[i]])) };
  } finally {
    if (values) (values as tf.Tensor).dispose();
    extra?.dispose();
  }
}
