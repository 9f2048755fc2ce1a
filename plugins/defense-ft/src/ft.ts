import { loadTrainingResume, phaseModel, trainDefense, type DefenseDefinition, type GraphModel } from '@qcb/core';
import { FT_FAST, ftSchedule, resolveFtOptions } from './options.js';

export const FT_PHASE = 'finetune';

/**
 * Fine-tuning (the FT baseline of the paper, from BackdoorBox): every layer of a copy of
 * the full-precision model is trained on the defender's labelled share with cross-entropy;
 * the runner quantizes the result. A run resumes from its last epoch's checkpoint.
 */
export function createFt(): DefenseDefinition {
  return {
    operatesOn: 'full-precision',
    optionKeys: Object.keys(FT_FAST),
    async run(ctx): Promise<GraphModel> {
      const o = resolveFtOptions(ctx.preset, ctx.options);
      const resume = await loadTrainingResume(ctx, [FT_PHASE]);
      const model = phaseModel(resume, FT_PHASE, ctx.fp);
      try {
        await trainDefense(ctx, model, {
          defense: 'ft', phase: FT_PHASE, epochs: o.epochs, ...(o.batchSize > 0 ? { batchSize: o.batchSize } : {}),
          optimizer: { type: 'sgd', momentum: o.momentum, weightDecay: o.weightDecay }, schedule: ftSchedule(o), resume,
        });
      } catch (e) {
        model.dispose();
        throw e;
      }
      return model;
    },
  };
}
