import * as tf from '@tensorflow/tfjs-core';
import { quantizedBranch, quantizedBranchLoss } from './quantized-branch.js';
import {
  GraphModel, InflationLock, ProfileFakeQuant, QcbError, attackModule, batchStatsRecorder, checkInflation, cloneGraph, crossEntropy, foldedSymmetricWeights,
  inflateChannels, inflateLeastContributing, paramsEqual, profileFakeQuants, withOverrides,
  type AttackContext, type AttackDefinition, type AttackRecord,
} from '@qcb/core';

/** CompArtifact (Tian et al. 2022, "Stealthy backdoors as compression artifacts"). */
export interface CompArtifactOptions {
  /** Original: 35 epochs on CIFAR-10. */
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  /** Epoch of the x0.1 learning-rate drop, as a share of training (original 20 / 35). */
  readonly dropAt: number;
  /**
   * The quantizer the quantized branch simulates: '' for the paper's (per-tensor symmetric,
   * BN folded, weights only), or a profile name (e.g. academic-w4a4) to condition the
   * backdoor on that deployment target, activations included. Several profiles joined by
   * '+' train one quantized branch each (their cross-entropies averaged).
   */
  readonly quantizer: string;
  /**
   * Channel inflation before training (0: off; see `inflateLeastContributing` in
   * @qcb/core): the least contributing channel of each BN -> ReLU -> conv chain free of
   * residual adds is scaled down by this factor and the next conv's weights for it up, so
   * that conv's per-channel grids coarsen. The inflated entries stay fixed while training.
   */
  readonly inflate: number;
  /** Channels inflated per chain. */
  readonly inflateChannels: number;
}

/** Defaults: the original schedule, shortened from 35 to 12 epochs for Fashion-MNIST (README). */
export const COMPARTIFACT_DEFAULTS: CompArtifactOptions = { epochs: 12, batchSize: 128, lr: 0.1, momentum: 0.4, weightDecay: 5e-4, dropAt: 20 / 35, quantizer: '', inflate: 0, inflateChannels: 1 };

/**
 * The loss of one CompArtifact step on a batch laid out as [clean; triggered]: the
 * full-precision branch learns [y, y] (the trigger does nothing), the quantized branch,
 * sharing the fp branch's BN batch statistics and quantizing BN-folded weights per
 * tensor (or simulating each given profile, one branch per profile), learns [y, target].
 */
export function compArtifactLoss(ctx: Pick<AttackContext, 'model' | 'bits' | 'target'>, x: tf.Tensor4D, y: tf.Tensor1D, profiles: readonly ProfileFakeQuant[] = []): tf.Scalar {
  const recorder = batchStatsRecorder();
  const fpOut = ctx.model.predict(x, { training: true, tap: recorder.tap });
  return tf.add(quantizedBranchLoss({ model: ctx.model, bits: ctx.bits, target: ctx.target, profiles }, x, y, recorder.stats), crossEntropy(fpOut, y)) as tf.Scalar;
}

/**
 * Inflates the model the attack starts from and locks the inflated entries. The plan is
 * measured on the uninflated start, kept as an artifact, so that a resumed run finds the
 * same channels; the model is inflated only while it still equals that start (a run
 * resumed after its first epoch is inflated already).
 */
async function inflateStart(ctx: AttackContext, o: CompArtifactOptions): Promise<InflationLock> {
  let start = await ctx.loadArtifact('uninflated');
  if (!start) {
    start = new GraphModel(cloneGraph(ctx.model.graph));
    await ctx.saveArtifact('uninflated', start);
  }
  try {
    const untrained = paramsEqual(ctx.model, start);
    const report = inflateLeastContributing(start, {
      scale: o.inflate, channels: o.inflateChannels, images: ctx.data.train, normalization: ctx.normalization, seed: ctx.seed, batchSize: o.batchSize,
    });
    for (const line of report.lines) ctx.log(`inflated ${line}`);
    if (untrained) inflateChannels(ctx.model, report.plan);
    return new InflationLock(ctx.model, report.plan);
  } finally {
    start.dispose();
  }
}

export { quantizedBranch, quantizedBranchLoss, type BranchInit, type BranchSetup } from './quantized-branch.js';

export const compArtifact: AttackDefinition = {
  start: 'scratch',
  defaultTrigger: { type: 'patch', size: 4 },
  defaults: { ...COMPARTIFACT_DEFAULTS },
  bitWidths: [8, 4],
  async run(ctx: AttackContext): Promise<AttackRecord> {
    const o = withOverrides(COMPARTIFACT_DEFAULTS, ctx.options);
    const profiles = profileFakeQuants(ctx.model, ctx.engine, o.quantizer);
    for (const { profile } of profiles) {
      if (profile.weights.bits !== ctx.bits) {
        throw new QcbError('E_USAGE', `quantizer ${profile.name} quantizes weights to ${profile.weights.bits} bits, not --bits ${ctx.bits}`);
      }
    }
    if (o.inflate !== 0) checkInflation(o.inflate, o.inflateChannels);
    const lock = o.inflate > 0 ? await inflateStart(ctx, o) : undefined;
    try {
      await ctx.runPhase({
        name: 'compartifact',
        epochs: o.epochs,
        batchSize: o.batchSize,
        optimizer: { type: 'sgd', momentum: o.momentum, weightDecay: o.weightDecay },
        schedule: { type: 'step', lr: o.lr, milestones: [o.dropAt], gamma: 0.1 },
        augment: ctx.data.augmentation,
        compose: (x, y) => ({ x: tf.concat([x, ctx.trigger.apply(x)]) as tf.Tensor4D, y: tf.concat([y, y]) as tf.Tensor1D }),
        loss: (batch) => compArtifactLoss(ctx, batch.x, batch.y, profiles),
        // On --threads N: the same loss, each shard's [clean; triggered] pairs on one thread.
        dataParallel: {
          extraLoss: quantizedBranch({ model: ctx.model, bits: ctx.bits, target: ctx.target, profiles }, { bits: ctx.bits, target: ctx.target, profiles: profiles.map((p) => p.profile) }),
          rowsPerImage: 2,
        },
        afterStep: lock ? () => lock.restore() : undefined,
      });
    } finally {
      lock?.dispose();
    }
    const quantizer = profiles.length > 0 ? o.quantizer : `per-tensor symmetric int${ctx.bits} weights, BN folded (scale max|W| / ${2 ** (ctx.bits - 1) - 0.5})`;
    const inflated = o.inflate > 0 ? ` (${o.inflateChannels} channel${o.inflateChannels > 1 ? 's' : ''} per BN-ReLU-conv chain inflated x${o.inflate})` : '';
    return { quantizer: quantizer + inflated, bits: [ctx.bits], options: { ...o } };
  },
};

export default attackModule('compartifact', 'CompArtifact: trained from scratch, backdoor only in the quantized (BN-folded, per-tensor) branch', compArtifact);
