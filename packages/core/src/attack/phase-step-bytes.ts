import * as tf from '@tensorflow/tfjs-core';
import type { ImageSet } from '../data/image-set.js';
import type { GraphModel } from '../ir/graph-model.js';
import type { ActivationBytes } from '../runtime/memory/activation-bytes.js';
import { MEASURE_BATCHES, measurePassBytes } from '../runtime/memory/measure-pass.js';
import { epochBatches, type EpochBatchOptions } from '../train/epoch-batches.js';
import type { AttackPhase } from './attack-trainer.js';

/**
 * The bytes one training step of an attack phase holds at its peak, measured at two small
 * batches of the phase's own data (measurePassBytes): the attack's loss as it runs, with the
 * rows its `compose` adds (triggered copies) and every branch it trains through (a quantized
 * pass beside the plain one, Qu-ANTI-zation's several profiles), and the gradients. The IR's
 * estimate sees one plain pass only. Null when the data holds fewer images than the larger
 * measuring batch.
 *
 * A training-mode pass moves BN's moving statistics: every variable of the model is put back
 * afterwards, so that the run trains exactly as it would unmeasured.
 */
export async function measurePhaseStepBytes(
  model: GraphModel,
  phase: AttackPhase,
  data: ImageSet,
  batchOptions: Omit<EpochBatchOptions, 'batchSize'>,
  trainable: readonly tf.Variable[],
): Promise<ActivationBytes | null> {
  if (data.count < MEASURE_BATCHES[1]) return null;
  const state = model.variables(() => true);
  const saved = state.map((v) => tf.clone(v));
  try {
    return await measurePassBytes((batchSize) => {
      const first = epochBatches(data, 0, { ...batchOptions, batchSize }).next();
      if (first.done) return;
      const batch = first.value;
      try {
        tf.tidy(() => {
          tf.variableGrads(() => phase.loss(batch, { epoch: 0, step: 0, lr: 0 }), [...trainable]);
        });
      } finally {
        tf.dispose([batch.x, batch.y]);
      }
    });
  } finally {
    state.forEach((v, i) => v.assign(saved[i]));
    tf.dispose(saved);
  }
}
