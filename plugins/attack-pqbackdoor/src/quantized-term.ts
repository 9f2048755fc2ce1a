import * as tf from '@tensorflow/tfjs-core';
import { ProfileFakeQuant, compiledModuleUrl, crossEntropy, type BatchStats, type ExtraLoss, type ExtraLossFactory, type GraphModel, type QuantizerProfile } from '@qcb/core';

/**
 * The simulated-quantizer term of a PQBackdoor stage. Stage 1: the quantized model learns
 * the poisoned labels too, BN normalising with the full-precision pass's batch statistics.
 * Stage 2 (BN frozen): on a batch laid out as [clean; triggered], the quantized model keeps
 * [y, target] while full precision unlearns.
 */
export interface QuantizedTermInit {
  readonly stage: 'stage1' | 'stage2';
  readonly profile: QuantizerProfile;
  readonly target: number;
}

/** The term's value on a batch (the one-thread loss adds it to the cross-entropy too). */
export function quantizedTerm(model: GraphModel, simulated: ProfileFakeQuant, init: QuantizedTermInit, x: tf.Tensor, y: tf.Tensor1D, stats: ReadonlyMap<string, BatchStats>): tf.Scalar {
  if (init.stage === 'stage1') return crossEntropy(model.predict(x, { training: true, updateStats: false, batchStats: stats, transform: simulated.transform(stats) }), y);
  const n = y.shape[0] / 2;
  const qLabels = tf.concat([tf.slice(y, [0], [n]), tf.fill([n], init.target, 'int32')]) as tf.Tensor1D;
  return crossEntropy(model.predict(x, { transform: simulated.transform() }), qLabels);
}

const TASK = { url: compiledModuleUrl('./quantized-term.js', import.meta.url).href, exportName: 'createQuantizedTerm' };

/** The term as a core ExtraLoss added to the cross-entropy, which pool workers rebuild from `init` (null: not portable). */
export function quantizedTermLoss(model: GraphModel, simulated: ProfileFakeQuant, init: QuantizedTermInit, portable = true): ExtraLoss {
  return {
    nodes: [],
    batchStats: init.stage === 'stage1',
    forBatch: (batch) => ({
      terms: (_features, stats) => [{ name: 'quantized', value: quantizedTerm(model, simulated, init, batch.x, batch.y, stats), weight: 1 }],
      dispose: () => undefined,
    }),
    ...(portable ? { portable: () => ({ module: TASK, init, terms: ['quantized'] }) } : {}),
  };
}

/** A pool worker's copy, on its replica of the model. */
export const createQuantizedTerm: ExtraLossFactory = (raw, model) => {
  const init = raw as QuantizedTermInit;
  return { loss: quantizedTermLoss(model, new ProfileFakeQuant(model, init.profile), init, false), dispose: () => undefined };
};
