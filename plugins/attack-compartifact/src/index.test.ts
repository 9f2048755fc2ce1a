import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GraphModel, ProfileFakeQuant, batchStatsRecorder, cloneGraph, resolveQuantizer, crossEntropy, foldedSymmetricWeights, imageBatch, inflateLeastContributing, initBackend,
  normalize, paramsEqual,
} from '@qcb/core';
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

describe('CompArtifact with channel inflation', () => {
  it('inflates the starting model, keeps the inflated entries fixed while training, and a resumed run inflates nothing twice', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qcb-ca-inflate-'));
    const options = { epochs: 1, batchSize: 32, lr: 0.05, inflate: 8 };
    const first = await tinyAttackContext({ bits: 8, options, dir });
    const start = new GraphModel(cloneGraph(first.ctx.model.graph));
    const record = await compArtifact.run(first.ctx);
    expect(record.quantizer).toContain('inflated x8');
    const reference = new GraphModel(cloneGraph(start.graph));
    const { plan } = inflateLeastContributing(reference, { scale: 8, channels: 1, images: first.ctx.data.train, normalization: first.ctx.normalization, seed: first.ctx.seed, batchSize: 32 });
    const entry = (m: GraphModel, node: string, param: string, c: number): number => m.node(node).params[param].dataSync()[c];
    const column = (m: GraphModel, node: string, c: number): number[] => Array.from(tf.tidy(() => {
      const k = m.node(node).params['kernel'];
      return tf.slice(k, [0, 0, c, 0], [k.shape[0]!, k.shape[1]!, 1, k.shape[3]!]).dataSync();
    }));
    for (const { chain, channel } of plan) {
      for (const param of ['gamma', 'beta']) expect(entry(first.ctx.model, chain.batchNorm, param, channel)).toBe(entry(reference, chain.batchNorm, param, channel));
      expect(column(first.ctx.model, chain.next, channel)).toEqual(column(reference, chain.next, channel));
      expect(column(first.ctx.model, chain.next, (channel + 1) % 4)).not.toEqual(column(reference, chain.next, (channel + 1) % 4));
    }
    const second = await tinyAttackContext({ bits: 8, options, dir });
    await compArtifact.run(second.ctx);
    expect(paramsEqual(second.ctx.model, first.ctx.model)).toBe(true);
    for (const m of [start, reference, first.ctx.model, second.ctx.model]) m.dispose();
  });
});
