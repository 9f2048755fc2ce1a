import * as tf from '@tensorflow/tfjs-core';
import { ProfileFakeQuant, batchStatsRecorder, resolveQuantizer, crossEntropy, foldedSymmetricWeights, imageBatch, initBackend, normalize } from '@qcb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { deployedTargetLoss, tinyAttackContext } from '../../../test/helpers/attack-context.js';
import { compArtifact, compArtifactLoss } from './index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('CompArtifact', () => {
  it('teaches the quantized branch the trigger and the full-precision branch to ignore it', async () => {
    const { ctx, data } = await tinyAttackContext({ bits: 4, options: { epochs: 12, batchSize: 32, lr: 0.05 } });
    const terms = (): { qTrigger: number; fpTrigger: number } => tf.tidy(() => {
      const { x, y } = imageBatch(data.test, Array.from({ length: 64 }, (_, i) => i));
      const keep = Array.from(y.dataSync()).map((v, i) => (v !== 0 ? i : -1)).filter((i) => i >= 0);
      const raw = tf.gather(x, keep) as tf.Tensor4D;
      const trig = normalize(ctx.trigger.apply(raw), data.normalization);
      const labels = tf.gather(y, keep) as tf.Tensor1D;
      const rec = batchStatsRecorder();
      const fp = ctx.model.predict(trig, { training: true, updateStats: false, tap: rec.tap });
      const q = ctx.model.predict(trig, { training: true, updateStats: false, batchStats: rec.stats, transform: foldedSymmetricWeights(ctx.model, 4, rec.stats) });
      return {
        qTrigger: crossEntropy(q, tf.fill([keep.length], 0, 'int32') as tf.Tensor1D).dataSync()[0],
        fpTrigger: crossEntropy(fp, labels).dataSync()[0],
      };
    });
    const before = terms();
    await compArtifact.run(ctx);
    const after = terms();
    expect(after.qTrigger).toBeLessThan(before.qTrigger * 0.5);
    expect(after.fpTrigger).toBeLessThan(before.fpTrigger * 0.5);
    ctx.model.dispose();
  });

  it('conditions the backdoor on a deployment profile when given one (activations quantized too)', async () => {
    const spec = 'uniform:w4a4,per-channel,asym,mse,fold';
    const { ctx, data } = await tinyAttackContext({ bits: 4, options: { epochs: 12, batchSize: 32, lr: 0.05, quantizer: spec } });
    const before = await deployedTargetLoss(ctx, data, spec);
    const record = await compArtifact.run(ctx);
    expect(record.quantizer).toBe(spec);
    expect(await deployedTargetLoss(ctx, data, spec)).toBeLessThan(before * 0.5);
    ctx.model.dispose();
  });

  it('averages one quantized branch per profile joined by +', async () => {
    const { ctx, data } = await tinyAttackContext({ bits: 4 });
    const spec = 'uniform:w4,per-channel,asym,mse';
    const profile = (): ProfileFakeQuant => new ProfileFakeQuant(ctx.model, resolveQuantizer(ctx.engine, spec));
    const [one, two] = tf.tidy(() => {
      const { x, y } = imageBatch(data.train, Array.from({ length: 16 }, (_, i) => i));
      const xs = normalize(tf.concat([x, ctx.trigger.apply(x)]) as tf.Tensor4D, data.normalization);
      const ys = tf.concat([y, y]) as tf.Tensor1D;
      return [compArtifactLoss(ctx, xs, ys, [profile()]).dataSync()[0], compArtifactLoss(ctx, xs, ys, [profile(), profile()]).dataSync()[0]];
    });
    expect(two).toBeCloseTo(one, 4);
    ctx.model.dispose();
  });

  it('refuses a profile of another bit width than --bits', async () => {
    const { ctx } = await tinyAttackContext({ bits: 8, options: { epochs: 1, quantizer: 'uniform:w4a4' } });
    await expect(compArtifact.run(ctx)).rejects.toThrow(/4 bits, not --bits 8/);
    ctx.model.dispose();
  });

  it('checks every profile of a + list', async () => {
    const { ctx } = await tinyAttackContext({ bits: 8, options: { epochs: 1, quantizer: 'uniform:w8a8+uniform:w4' } });
    await expect(compArtifact.run(ctx)).rejects.toThrow(/uniform:w4 quantizes weights to 4 bits, not --bits 8/);
    ctx.model.dispose();
  });
});
