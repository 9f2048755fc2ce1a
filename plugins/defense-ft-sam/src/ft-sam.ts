import { loadTrainingResume, phaseModel, trainDefense, type DefenseDefinition, type GraphModel } from '@qcb/core';
import { FT_SAM_FAST, ftSamSchedule, resolveFtSamOptions } from './options.js';

export const FT_SAM_PHASE = 'finetune-sam';

/**
 * FT-SAM (Zhu et al., ICCV 2023; the paper's strongest baseline, run as BackdoorBench's
 * `ft-sam`): fine-tuning of every layer with sharpness-aware minimisation (adaptive, rho 2)
 * and label smoothing, which pushes the weights out of the sharp region where the backdoor
 * neurons sit. Returns the repaired full-precision model; the runner quantizes it.
 */
export function createFtSam(): DefenseDefinition {
  return {
    operatesOn: 'full-precision',
    optionKeys: Object.keys(FT_SAM_FAST),
    async run(ctx): Promise<GraphModel> {
      const o = resolveFtSamOptions(ctx.preset, ctx.options);
      const resume = await loadTrainingResume(ctx, [FT_SAM_PHASE]);
      const model = phaseModel(resume, FT_SAM_PHASE, ctx.fp);
      try {
        await trainDefense(ctx, model, {
          defense: 'ft-sam', phase: FT_SAM_PHASE, epochs: o.epochs, ...(o.batchSize > 0 ? { batchSize: o.batchSize } : {}),
          optimizer: { type: 'sgd', momentum: o.momentum, weightDecay: o.weightDecay }, schedule: ftSamSchedule(o),
          sam: { rho: o.rho, adaptive: o.adaptive }, labelSmoothing: o.labelSmoothing, resume,
        });
      } catch (e) {
        model.dispose();
        throw e;
      }
      return model;
    },
  };
}
