import * as tf from '@tensorflow/tfjs-core';
import { compiledModuleUrl, crossEntropy, foldedSymmetricWeights, type BatchStats, type ExtraLoss, type GraphModel, type ProfileFakeQuant, type QuantizerProfile } from '@qcb/core';

/** What the quantized branch of CompArtifact's loss needs besides the batch. */
export interface BranchSetup {
  readonly model: GraphModel;
  readonly bits: number;
  readonly target: number;
  /** One simulated deployment profile per branch; none: the paper's per-tensor, BN-folded weights. */
  readonly profiles: readonly ProfileFakeQuant[];
}

/** What a pool worker builds its branch from (branch-task.ts). */
export interface BranchInit {
  readonly bits: number;
  readonly target: number;
  readonly profiles: readonly QuantizerProfile[];
}

/**
 * The quantized branch's cross-entropy on a batch laid out as [clean; triggered], labels
 * [y, target], BN normalising with `stats` (the full-precision pass's batch statistics),
 * averaged over the profiles' branches.
 */
export function quantizedBranchLoss(s: BranchSetup, x: tf.Tensor, y: tf.Tensor1D, stats: ReadonlyMap<string, BatchStats>): tf.Scalar {
  const n = x.shape[0] / 2;
  const qLabels = tf.concat([tf.slice(y, [0], [n]), tf.fill([n], s.target, 'int32')]) as tf.Tensor1D;
  const transforms = s.profiles.length > 0 ? s.profiles.map((p) => p.transform(stats)) : [foldedSymmetricWeights(s.model, s.bits, stats)];
  const terms = transforms.map((transform) => crossEntropy(s.model.predict(x, { training: true, updateStats: false, batchStats: stats, transform }), qLabels));
  return tf.div(tf.addN(terms), terms.length) as tf.Scalar;
}

const TASK = { url: compiledModuleUrl('./branch-task.js', import.meta.url).href, exportName: 'createQuantizedBranch' };

/**
 * The quantized branch as terms added to the full-precision cross-entropy (core's
 * ExtraLoss, reading the training pass's batch statistics), so that a data-parallel step
 * computes CompArtifact's loss shard by shard; every worker builds its own from `init`.
 */
export function quantizedBranch(s: BranchSetup, init: BranchInit | null): ExtraLoss {
  return {
    nodes: [],
    batchStats: true,
    forBatch: (batch) => ({
      terms: (_features, stats) => [{ name: 'quantized', value: quantizedBranchLoss(s, batch.x, batch.y, stats), weight: 1 }],
      dispose: () => undefined,
    }),
    ...(init ? { portable: () => ({ module: TASK, init, terms: ['quantized'] }) } : {}),
  };
}
