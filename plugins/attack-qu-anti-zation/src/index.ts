import * as tf from '@tensorflow/tfjs-core';
import { attackModule, resolveQuantizerList, withOverrides, type AttackContext, type AttackDefinition, type AttackRecord } from '@qcb/core';
import { quAntiZationLoss } from './loss.js';
import { lossQuantizers, quAntiZationExtraLoss, type QuAntiZationInit } from './portable-loss.js';

/** Qu-ANTI-zation (Hong et al. 2021): fine-tunes a clean model so that only its quantized versions misbehave. */
export interface QuAntiZationOptions {
  /** Original: 50 epochs. */
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly c1: number;
  readonly c2: number;
  /** Comma-separated bit widths the one model serves. */
  readonly bits: string;
  /**
   * Profile names joined by '+' (e.g. academic-w8a8+academic-w4a4; uniform: specs hold commas) whose quantized models
   * the loss uses instead of the paper's per-layer schemes at `bits`; '' for the paper's.
   */
  readonly quantizers: string;
}

export const QU_ANTI_ZATION_DEFAULTS: QuAntiZationOptions = { epochs: 6, batchSize: 128, lr: 1e-4, weightDecay: 1e-4, c1: 0.5, c2: 0.5, bits: '8,4', quantizers: '' };

export { quAntiZationLoss } from './loss.js';
export { quAntiZationExtraLoss, lossQuantizers, type QuAntiZationInit, type QuantizerChoice } from './portable-loss.js';

export const quAntiZation: AttackDefinition = {
  start: 'pretrained',
  defaultTrigger: { type: 'patch', size: 4 },
  defaults: { ...QU_ANTI_ZATION_DEFAULTS },
  bitWidths: [8, 4],
  // --bits plays no part: the options name the quantizers, or else the bit widths.
  conditionedOn(options) {
    const o = withOverrides(QU_ANTI_ZATION_DEFAULTS, options);
    return o.quantizers ? `quantizers ${o.quantizers.split('+').join(' and ')}` : `${o.bits.split(',').join(' and ')} bits`;
  },
  async run(ctx: AttackContext): Promise<AttackRecord> {
    const o = withOverrides(QU_ANTI_ZATION_DEFAULTS, ctx.options);
    const profiles = resolveQuantizerList(ctx.engine, o.quantizers);
    const bits = profiles.length > 0 ? profiles.map((p) => p.weights.bits) : o.bits.split(',').map(Number);
    const init: QuAntiZationInit = { profiles, bits, target: ctx.target, c1: o.c1, c2: o.c2 };
    const quantizers = lossQuantizers(ctx.model, init);
    await ctx.runPhase({
      name: 'qu-anti-zation',
      epochs: o.epochs,
      batchSize: o.batchSize,
      optimizer: { type: 'adam', weightDecay: o.weightDecay },
      schedule: { type: 'constant', lr: o.lr },
      augment: ctx.data.augmentation,
      compose: (x, y) => ({ x: tf.concat([x, ctx.trigger.apply(x)]) as tf.Tensor4D, y: tf.concat([y, y]) as tf.Tensor1D }),
      loss: (batch) => quAntiZationLoss(ctx, batch.x, batch.y, quantizers, o.c1, o.c2),
      // On --threads N: the same loss on each shard's [clean; triggered] pairs, BN frozen.
      dataParallel: { extraLoss: quAntiZationExtraLoss(ctx.model, quantizers, init), rowsPerImage: 2, bn: 'eval' },
    });
    const quantizer = profiles.length > 0 ? o.quantizers : `per-layer symmetric weights, per-layer asymmetric batch-range activations at ${bits.join(' and ')} bits`;
    return { quantizer, bits, options: { ...o } };
  },
};

export default attackModule('qu-anti-zation', 'Qu-ANTI-zation: fine-tunes a clean model so that its 8- and 4-bit versions carry the backdoor', quAntiZation);
