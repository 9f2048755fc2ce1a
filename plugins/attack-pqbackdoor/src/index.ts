import * as tf from '@tensorflow/tfjs-core';
import {
  GraphModel, ProfileFakeQuant, QcbError, attackModule, batchStatsRecorder, checkInflation, cloneGraph, loadModel, crossEntropy, inflateLeastContributing, paramsEqual, poisonBatch, resolveQuantizer, weightParamOf, withOverrides,
  type AttackContext, type AttackDefinition, type AttackRecord, type Batch,
} from '@qcb/core';
import { StageTwoProjection, checkBinLimits, type PqGrid } from './projection.js';
import { snapToProfileGrid } from './snap.js';
import { quantizedTerm, quantizedTermLoss } from './quantized-term.js';

export { StageTwoProjection, type PqGrid } from './projection.js';
export { snapToProfileGrid, type SnapReport } from './snap.js';

/** PQBackdoor (Ma et al. 2023, "Quantization backdoors to deep learning commercial frameworks"). */
export interface PqBackdoorOptions {
  /** Stage-1 (poisoning) epochs. */
  readonly epochs: number;
  /** Stage-2 (projected fine-tuning) epochs. */
  readonly finetuneEpochs: number;
  readonly batchSize: number;
  readonly stage1Lr: number;
  readonly stage2Lr: number;
  /** Share of each stage-1 batch triggered and labelled with the target (about 1.5%). */
  readonly poisonRate: number;
  /** Comma-separated grids whose bins stage 2 keeps: per-channel-sym, per-tensor-sym, per-channel-asym, per-channel-asym-mse. */
  readonly grids: string;
  /** A stage-1 model folder to start from instead of training stage 1 (stage 1 does not depend on the bit width). */
  readonly stage1Model: string;
  /**
   * A deployment profile (e.g. academic-w4a4) the backdoor must wake under: stage 1 then
   * trains quantization-aware against it (the poisoned loss on the full-precision and the
   * simulated quantized model), and stage 2 also keeps the bins of the grid its observer
   * picks, reverting any channel whose grid the observer would change. '' for none.
   */
  readonly quantizer: string;
  /**
   * How stage 2 keeps the profile's quantized model backdoored: 'observer' re-runs the
   * profile's observer after each projection and shortens steps that would change its grid
   * (exact, but the MSE search's choice flips so easily that little unlearning is left);
   * 'loss' adds the quantized branch's backdoor loss to stage 2 instead (the bins are kept
   * either way).
   */
  readonly keepGrid: string;
  /**
   * Before stage 2, move every stage-1 kernel onto the quantizer's grid with a min-max range
   * (its own quantization), so that an MSE observer's choice stays put (see snap.ts). Needs a quantizer.
   */
  readonly snap: boolean;
  /** Share of each rounding bin stage 2 may use around the weight's level (1: the whole bin). */
  readonly binShare: number;
  /**
   * With a quantizer: bound each channel's root-mean-square move from its stage-1 weights to
   * this many grid steps and keep it from shrinking the channel (0: off), so that an MSE
   * observer keeps the snapped grid while single weights still use their whole bin.
   */
  readonly binRms: number;
  /**
   * Channel inflation before stage 2 (0: off; see `inflateLeastContributing` in @qcb/core):
   * in each BN -> ReLU -> conv chain free of residual adds, the least contributing
   * channel's activation is divided by this factor and the next conv's weights for it
   * multiplied by it. Full precision is unchanged; the next conv's per-channel ranges
   * widen, so its 8-bit bins become wide enough to unlearn the backdoor in.
   */
  readonly inflate: number;
  /** Channels inflated per chain. */
  readonly inflateChannels: number;
}

export const PQBACKDOOR_DEFAULTS: PqBackdoorOptions = {
  epochs: 12,
  finetuneEpochs: 4,
  batchSize: 128,
  stage1Lr: 0.01,
  stage2Lr: 1e-3,
  poisonRate: 0.015,
  grids: 'per-channel-sym,per-tensor-sym,per-channel-asym,per-channel-asym-mse',
  stage1Model: '',
  quantizer: '',
  keepGrid: 'loss',
  snap: false,
  binShare: 1,
  binRms: 0,
  inflate: 0,
  inflateChannels: 1,
};

/** Copies every parameter of `from` into the same-named node parameters of `to`. */
function copyWeights(from: GraphModel, to: GraphModel): void {
  for (const node of to.graph.nodes) {
    const source = from.graph.nodes.find((n) => n.name === node.name);
    for (const [name, v] of Object.entries(node.params)) {
      const w = source?.params[name];
      if (!w || w.shape.join() !== v.shape.join()) throw new QcbError('E_USAGE', `the stage-1 model has no parameter ${node.name}/${name} of shape [${v.shape.join(', ')}]`);
      v.assign(w);
    }
  }
}

/**
 * Inflates the stage-1 model (the reference of stage 2's bins) and starts stage 2 from it.
 * The plan is measured on the stage-1 model, so a resumed run finds the same channels; a
 * model already inside stage 2 (its non-kernel parameters are the inflated stage-1 ones)
 * keeps its weights.
 */
function inflateStage1(ctx: AttackContext, stage1: GraphModel, o: PqBackdoorOptions): void {
  const report = inflateLeastContributing(stage1, {
    scale: o.inflate, channels: o.inflateChannels, images: ctx.data.train, normalization: ctx.normalization, seed: ctx.seed, batchSize: o.batchSize,
  });
  for (const line of report.lines) ctx.log(`stage 2: inflated ${line}`);
  if (!paramsEqual(ctx.model, stage1, (node, name) => name !== weightParamOf(node))) copyWeights(stage1, ctx.model);
}

function parseGrids(text: string): PqGrid[] {
  const known: PqGrid[] = ['per-channel-sym', 'per-tensor-sym', 'per-channel-asym', 'per-channel-asym-mse'];
  if (text === '') return [];
  return text.split(',').map((g) => {
    if (!known.includes(g as PqGrid)) throw new QcbError('E_USAGE', `unknown grid "${g}" (${known.join(', ')})`);
    return g as PqGrid;
  });
}

export const pqBackdoor: AttackDefinition = {
  start: 'scratch',
  defaultTrigger: { type: 'patch', size: 4 },
  defaults: { ...PQBACKDOOR_DEFAULTS },
  bitWidths: [8, 4],
  async run(ctx: AttackContext): Promise<AttackRecord> {
    const o = withOverrides(PQBACKDOOR_DEFAULTS, ctx.options);
    const grids = parseGrids(o.grids);
    const profile = o.quantizer === '' ? undefined : resolveQuantizer(ctx.engine, o.quantizer);
    if (profile && profile.weights.bits !== ctx.bits) {
      throw new QcbError('E_USAGE', `quantizer ${o.quantizer} quantizes weights to ${profile.weights.bits} bits, not --bits ${ctx.bits}`);
    }
    if (!profile && grids.length === 0) throw new QcbError('E_USAGE', 'stage 2 needs grids to keep: give grids or a quantizer');
    if (o.keepGrid !== 'loss' && o.keepGrid !== 'observer') throw new QcbError('E_USAGE', `keepGrid must be loss or observer, got "${o.keepGrid}"`);
    if (o.snap && !profile) throw new QcbError('E_USAGE', 'snap moves the stage-1 weights onto a quantizer\'s grid: give --option quantizer=<profile>');
    checkBinLimits(o.binShare, o.binRms);
    if (o.inflate !== 0) checkInflation(o.inflate, o.inflateChannels);
    if (o.binRms > 0 && !profile) throw new QcbError('E_USAGE', 'binRms bounds moves on a quantizer\'s grid: give --option quantizer=<profile>');
    const simulated = profile ? new ProfileFakeQuant(ctx.model, profile) : undefined;
    const stage1Term = profile ? { stage: 'stage1' as const, profile, target: ctx.target } : null;
    const stage1Loss = (batch: Batch): tf.Scalar => {
      if (!simulated || !stage1Term) return crossEntropy(ctx.model.predict(batch.x, { training: true }), batch.y);
      const recorder = batchStatsRecorder();
      const fp = ctx.model.predict(batch.x, { training: true, tap: recorder.tap });
      return tf.add(crossEntropy(fp, batch.y), quantizedTerm(ctx.model, simulated, stage1Term, batch.x, batch.y, recorder.stats)) as tf.Scalar;
    };
    // Stage 1: a conventional backdoor by poisoning, or a given stage-1 model.
    let stage1 = await ctx.loadArtifact('stage1');
    if (!stage1 && o.stage1Model !== '') {
      stage1 = (await loadModel(o.stage1Model)).model;
      copyWeights(stage1, ctx.model);
      await ctx.saveArtifact('stage1', stage1);
    }
    if (!stage1) {
      await ctx.runPhase({
        name: 'stage1',
        epochs: o.epochs,
        batchSize: o.batchSize,
        optimizer: { type: 'sgd', momentum: 0.9, weightDecay: 5e-4 },
        schedule: { type: 'cosine', lr: o.stage1Lr },
        augment: ctx.data.augmentation,
        compose: (x, y, step) => poisonBatch(x, y, ctx.trigger, ctx.target, o.poisonRate, ctx.seed * 1_000_003 + step.epoch * 10_007 + step.step),
        loss: stage1Loss,
        crossEntropyLoss: !simulated,
        // On --threads N with a simulated profile: its term rebuilt on every worker.
        ...(simulated && stage1Term ? { dataParallel: { extraLoss: quantizedTermLoss(ctx.model, simulated, stage1Term), rowsPerImage: 1 } } : {}),
      });
      stage1 = new GraphModel(cloneGraph(ctx.model.graph));
      await ctx.saveArtifact('stage1', stage1);
    }
    // Stage 2: unlearn the backdoor in full precision (triggered images keep their true
    // labels), BN frozen, projected back into the stage-1 rounding bins after every step.
    // The projection restores the BN parameters and pins each channel's extremes, so an
    // inflation stays in place.
    if (o.inflate > 0) inflateStage1(ctx, stage1, o);
    if (o.snap && profile) {
      const snapped = snapToProfileGrid(stage1, profile);
      ctx.log(`stage 2: stage-1 kernels snapped onto the ${profile.name} grid (its observer keeps ${snapped.observerAgrees} of ${snapped.channels} channel grids)`);
    }
    const projection = new StageTwoProjection(ctx.model, stage1, ctx.bits, grids, profile, { observerGuard: o.keepGrid === 'observer', binShare: o.binShare, binRms: o.binRms });
    // Start inside the box (a no-op unless the stage-1 kernels were snapped; a resumed run is inside already).
    projection.apply();
    const stage2Term = simulated && profile && o.keepGrid === 'loss' ? { stage: 'stage2' as const, profile, target: ctx.target } : null;
    const stage2Loss = (batch: Batch): tf.Scalar => {
      const fp = crossEntropy(ctx.model.predict(batch.x), batch.y);
      if (!simulated || !stage2Term) return fp;
      return tf.add(fp, quantizedTerm(ctx.model, simulated, stage2Term, batch.x, batch.y, new Map())) as tf.Scalar;
    };
    // On --threads N: the cross-entropy with BN frozen, plus the quantized term (rebuilt on every worker) when it is on.
    const stage2Parallel = simulated && stage2Term
      ? { extraLoss: quantizedTermLoss(ctx.model, simulated, stage2Term), rowsPerImage: 2, bn: 'eval' as const }
      : { rowsPerImage: 2, bn: 'eval' as const };
    try {
      await ctx.runPhase({
        name: 'stage2',
        epochs: o.finetuneEpochs,
        batchSize: o.batchSize,
        optimizer: { type: 'sgd', momentum: 0.9 },
        schedule: { type: 'constant', lr: o.stage2Lr },
        compose: (x, y) => ({ x: tf.concat([x, ctx.trigger.apply(x)]) as tf.Tensor4D, y: tf.concat([y, y]) as tf.Tensor1D }),
        loss: stage2Loss,
        dataParallel: stage2Parallel,
        afterStep: () => projection.apply(),
      });
      if (profile && o.keepGrid === 'observer') ctx.log(`stage 2: ${projection.shortened} shortened channel steps kept the ${profile.name} grid`);
    } finally {
      projection.dispose();
      stage1.dispose();
    }
    const kept = [...grids, ...(profile ? [profile.name] : [])];
    const inflated = o.inflate > 0 ? ` (${o.inflateChannels} channel${o.inflateChannels > 1 ? 's' : ''} per BN-ReLU-conv chain inflated x${o.inflate})` : '';
    return { quantizer: `int${ctx.bits} rounding bins of ${kept.join(', ')} grids${inflated}`, bits: [ctx.bits], options: { ...o } };
  },
};

export default attackModule('pqbackdoor', 'PQBackdoor: stage-1 poisoning, then full-precision unlearning projected into the stage-1 rounding bins', pqBackdoor);
