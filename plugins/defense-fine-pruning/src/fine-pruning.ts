import { loadTrainingResume, phaseModel, trainDefense, type DefenseContext, type DefenseDefinition, type GraphModel } from '@qcb/core';
import { pruneChannels } from './channel-mask.js';
import { leastActive, meanChannelActivations } from './channel-ranking.js';
import { FINE_PRUNING_FAST, finePruningSchedule, resolveFinePruningOptions } from './options.js';
import { pruneTarget, type PruneTarget } from './prune-target.js';

export const FINE_PRUNING_PHASE = 'finetune';

/** What was pruned: the ranked feature map, the head and the pruned channels (ascending). */
export interface PruningPlan {
  readonly target: PruneTarget;
  readonly means: Float64Array;
  readonly pruned: readonly number[];
}

/** Ranks the channels of `model`'s last feature map by mean activation on the defender's share. */
export function planPruning(ctx: Pick<DefenseContext, 'data' | 'normalization'>, model: GraphModel, rate: number): PruningPlan {
  const target = pruneTarget(model);
  const means = meanChannelActivations(model, target.feature, ctx.data, ctx.normalization);
  return { target, means, pruned: leastActive(means, rate) };
}

/**
 * Fine-pruning (Liu et al., RAID 2018; the paper's baseline from BackdoorBox): the channels
 * of the last convolutional feature map are ranked by their mean activation on the
 * defender's clean share, the least active are pruned (their rows of the dense head become
 * 0), and a copy of the model is fine-tuned with the mask re-applied after every step, so
 * pruned channels stay cut in the returned model, its export and its quantization. The
 * ranking reads the received model, so a resumed run prunes the same channels.
 */
export function createFinePruning(): DefenseDefinition {
  return {
    operatesOn: 'full-precision',
    optionKeys: Object.keys(FINE_PRUNING_FAST),
    async run(ctx): Promise<GraphModel> {
      const o = resolveFinePruningOptions(ctx.preset, ctx.options);
      ctx.progress.stage('rank channels', 1);
      const { target, pruned } = planPruning(ctx, ctx.fp, o.rate);
      ctx.progress.stageDone(`pruned ${pruned.length}/${target.channels} channels of ${target.feature}`);
      const resume = await loadTrainingResume(ctx, [FINE_PRUNING_PHASE]);
      const model = phaseModel(resume, FINE_PRUNING_PHASE, ctx.fp);
      const mask = (m: GraphModel): void => pruneChannels(m, target, pruned);
      try {
        mask(model);
        await trainDefense(ctx, model, {
          defense: 'fine-pruning', phase: FINE_PRUNING_PHASE, epochs: o.epochs, ...(o.batchSize > 0 ? { batchSize: o.batchSize } : {}),
          optimizer: { type: 'sgd', momentum: o.momentum, weightDecay: o.weightDecay }, schedule: finePruningSchedule(o), resume, afterStep: mask,
        });
      } catch (e) {
        model.dispose();
        throw e;
      }
      return model;
    },
  };
}
