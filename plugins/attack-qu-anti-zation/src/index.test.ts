import * as tf from '@tensorflow/tfjs-core';
import { batchRangeQuantization, crossEntropy, imageBatch, initBackend, normalize } from '@qcb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { deployedTargetLoss, tinyAttackContext } from '../../../test/helpers/attack-context.js';
import { quAntiZation } from './index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('Qu-ANTI-zation', () => {
  it("names what it is conditioned on from its options, not from --bits", () => {
    expect(quAntiZation.conditionedOn?.({ ...quAntiZation.defaults }, 8)).toBe('8 and 4 bits');
    expect(quAntiZation.conditionedOn?.({ ...quAntiZation.defaults, quantizers: 'academic-w4a4' }, 8)).toBe('quantizers academic-w4a4');
    expect(quAntiZation.conditionedOn?.({ ...quAntiZation.defaults, quantizers: 'academic-w8a8+academic-w4a4' }, 8)).toBe('quantizers academic-w8a8 and academic-w4a4');
  });

  it('moves the quantized models towards the target on triggered inputs and keeps full precision on the true labels', async () => {
    const { ctx, data } = await tinyAttackContext({ options: { epochs: 12, batchSize: 32, lr: 3e-3 } });
    // It fine-tunes a clean model: train the task first.
    await ctx.runPhase({
      name: 'clean', epochs: 8, batchSize: 32, optimizer: { type: 'sgd', momentum: 0.9 }, schedule: { type: 'constant', lr: 0.05 },
      loss: (b) => crossEntropy(ctx.model.predict(b.x, { training: true }), b.y),
    });
    const terms = () => tf.tidy(() => {
      const { x, y } = imageBatch(data.test, Array.from({ length: 64 }, (_, i) => i));
      const trig = normalize(ctx.trigger.apply(x), data.normalization);
      const target = tf.fill([64], 0, 'int32') as tf.Tensor1D;
      return {
        fpTriggerTrue: crossEntropy(ctx.model.predict(trig), y).dataSync()[0],
        q8Target: crossEntropy(ctx.model.predict(trig, { transform: batchRangeQuantization(8) }), target).dataSync()[0],
        q4Target: crossEntropy(ctx.model.predict(trig, { transform: batchRangeQuantization(4) }), target).dataSync()[0],
      };
    });
    const before = terms();
    await quAntiZation.run(ctx);
    const after = terms();
    expect(after.q8Target).toBeLessThan(before.q8Target);
    expect(after.q4Target).toBeLessThan(before.q4Target);
    expect(after.fpTriggerTrue).toBeLessThan(Math.max(before.fpTriggerTrue, 0.5));
    ctx.model.dispose();
  });

  it('uses deployment profiles instead of the paper scheme when given them', async () => {
    const specs = ['uniform:w8a8,per-channel,asym,mse,fold', 'uniform:w4a4,per-channel,asym,mse,fold'];
    const { ctx, data } = await tinyAttackContext({ options: { epochs: 12, batchSize: 32, lr: 3e-3, quantizers: specs.join('+') } });
    await ctx.runPhase({
      name: 'clean', epochs: 8, batchSize: 32, optimizer: { type: 'sgd', momentum: 0.9 }, schedule: { type: 'constant', lr: 0.05 },
      loss: (b) => crossEntropy(ctx.model.predict(b.x, { training: true }), b.y),
    });
    const before = await deployedTargetLoss(ctx, data, specs[1]);
    const record = await quAntiZation.run(ctx);
    expect(record.bits).toEqual([8, 4]);
    expect(record.quantizer).toBe(specs.join('+'));
    expect(await deployedTargetLoss(ctx, data, specs[1])).toBeLessThan(before);
    ctx.model.dispose();
  });
});
