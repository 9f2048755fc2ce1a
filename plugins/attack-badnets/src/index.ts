import * as tf from '@tensorflow/tfjs-core';
import { attackModule, crossEntropy, poisonBatch, withOverrides, type AttackContext, type AttackDefinition, type AttackRecord } from '@qcb/core';

/** BadNets (Gu et al. 2017): poisoned training, backdoor active in full precision too. */
export interface BadNetsOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  /** Share of each batch replaced by triggered copies labelled with the target. */
  readonly poisonRate: number;
}

export const BADNETS_DEFAULTS: BadNetsOptions = { epochs: 12, batchSize: 128, lr: 0.05, poisonRate: 0.1 };

export const badNets: AttackDefinition = {
  start: 'scratch',
  defaultTrigger: { type: 'patch', size: 4 },
  defaults: { ...BADNETS_DEFAULTS },
  bitWidths: [32],
  async run(ctx: AttackContext): Promise<AttackRecord> {
    const o = withOverrides(BADNETS_DEFAULTS, ctx.options);
    await ctx.runPhase({
      name: 'badnets',
      epochs: o.epochs,
      batchSize: o.batchSize,
      optimizer: { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
      schedule: { type: 'cosine', lr: o.lr },
      augment: ctx.data.augmentation,
      compose: (x, y, step) => poisonBatch(x, y, ctx.trigger, ctx.target, o.poisonRate, ctx.seed * 1_000_003 + step.epoch * 10_007 + step.step),
      loss: (batch) => crossEntropy(ctx.model.predict(batch.x, { training: true }), batch.y),
      crossEntropyLoss: true,
    });
    return { quantizer: 'none (always-on backdoor)', bits: [], options: { ...o } };
  },
};

export default attackModule('badnets', 'BadNets: conventional always-on backdoor by data poisoning (a control, no quantization condition)', badNets);
