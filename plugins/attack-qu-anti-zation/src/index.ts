import * as tf from '@tensorflow/tfjs-core';
import {
  attackModule, batchRangeQuantization, crossEntropy, profileFakeQuants, withOverrides,
  type AttackContext, type AttackDefinition, type AttackRecord, type NodeTransform,
} from '@qcb/core';

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

/**
 * The loss on a batch [clean; triggered]:
 * CE(f(x), y) + c2 CE(f(x'), y) + sum over b of c1 [CE(Q_b f(x), y) + c2 CE(Q_b f(x'), target)],
 * with BN frozen (inference mode) and Q_b quantizing weights per layer (symmetric) and
 * activations per layer from the batch's own range.
 */
export function quAntiZationLoss(ctx: Pick<AttackContext, 'model' | 'target'>, x: tf.Tensor4D, y: tf.Tensor1D, quantizers: ReadonlyArray<() => NodeTransform>, c1: number, c2: number): tf.Scalar {
  const n = x.shape[0] / 2;
  const clean = (t: tf.Tensor): tf.Tensor => tf.slice(t, [0, 0], [n, -1]);
  const triggered = (t: tf.Tensor): tf.Tensor => tf.slice(t, [n, 0], [n, -1]);
  const labels = tf.slice(y, [0], [n]) as tf.Tensor1D;
  const target = tf.fill([n], ctx.target, 'int32') as tf.Tensor1D;
  const fp = ctx.model.predict(x);
  let loss = tf.add(crossEntropy(clean(fp), labels), tf.mul(c2, crossEntropy(triggered(fp), labels)));
  for (const quantizer of quantizers) {
    const q = ctx.model.predict(x, { transform: quantizer() });
    loss = tf.add(loss, tf.mul(c1, tf.add(crossEntropy(clean(q), labels), tf.mul(c2, crossEntropy(triggered(q), target)))));
  }
  return loss as tf.Scalar;
}

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
    const profiles = profileFakeQuants(ctx.model, ctx.engine, o.quantizers);
    const bits = profiles.length > 0 ? profiles.map((p) => p.profile.weights.bits) : o.bits.split(',').map(Number);
    const quantizers = profiles.length > 0 ? profiles.map((p) => () => p.transform()) : bits.map((b) => () => batchRangeQuantization(b));
    await ctx.runPhase({
      name: 'qu-anti-zation',
      epochs: o.epochs,
      batchSize: o.batchSize,
      optimizer: { type: 'adam', weightDecay: o.weightDecay },
      schedule: { type: 'constant', lr: o.lr },
      augment: ctx.data.augmentation,
      compose: (x, y) => ({ x: tf.concat([x, ctx.trigger.apply(x)]) as tf.Tensor4D, y: tf.concat([y, y]) as tf.Tensor1D }),
      loss: (batch) => quAntiZationLoss(ctx, batch.x, batch.y, quantizers, o.c1, o.c2),
    });
    const quantizer = profiles.length > 0 ? o.quantizers : `per-layer symmetric weights, per-layer asymmetric batch-range activations at ${bits.join(' and ')} bits`;
    return { quantizer, bits, options: { ...o } };
  },
};

export default attackModule('qu-anti-zation', 'Qu-ANTI-zation: fine-tunes a clean model so that its 8- and 4-bit versions carry the backdoor', quAntiZation);
