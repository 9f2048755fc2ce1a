import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GraphModel, cloneGraph, gridFor, inflateLeastContributing, initBackend, paramsEqual, paramsFromRange, parseGenericSpec, quantizeModel, quantizeToLevels, saveModel,
  syntheticDataset, weightParamOf, withChannelsLast,
  type AttackContext, type ChannelInflation, type GraphNode, type InflationRequest,
} from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { deployedTargetLoss, tinyAttackContext } from '../../../test/helpers/attack-context.js';
import { StageTwoProjection, pqBackdoor } from './index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Integer levels of every kernel on a grid kind, per channel (last axis of the channels-last view) or per tensor. */
function levels(model: GraphModel, bits: number, kind: 'channel-sym' | 'tensor-sym' | 'channel-asym'): number[][] {
  return model.graph.nodes.filter((n) => weightParamOf(n)).map((node) => tf.tidy(() => {
    const w = node.params[weightParamOf(node)!];
    return Array.from(withChannelsLast(node, w, (view) => {
      const cols = tf.reshape(view, [-1, view.shape[view.rank - 1]]);
      const min = tf.min(cols, 0).dataSync();
      const max = tf.max(cols, 0).dataSync();
      const amax = tf.max(tf.abs(cols), 0).dataSync();
      const all = Math.max(...amax);
      const p = kind === 'channel-sym'
        ? paramsFromRange(amax.map((a) => -a), amax, gridFor(bits, true), true, -1)
        : kind === 'tensor-sym'
          ? paramsFromRange([-all], [all], gridFor(bits, true), true, null)
          : paramsFromRange(min, max, gridFor(bits, false), false, -1);
      return quantizeToLevels(view, p);
    }).dataSync());
  }));
}

describe('PQBackdoor stage-2 projection', () => {
  it('keeps every weight in its stage-1 rounding bin on both symmetric grids (and the asymmetric one), and restores the rest', () => {
    const stage1 = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8], seed: 2 });
    const model = new GraphModel(cloneGraph(stage1.graph));
    const projection = new StageTwoProjection(model, stage1, 4, ['per-channel-sym', 'per-tensor-sym', 'per-channel-asym']);
    // A large random step in every parameter, as fine-tuning would take over many steps.
    tf.tidy(() => {
      model.variables(() => true).forEach((v, i) => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.2, 'float32', i))));
    });
    projection.apply();
    for (const kind of ['channel-sym', 'tensor-sym', 'channel-asym'] as const) {
      const a = levels(model, 4, kind);
      const b = levels(stage1, 4, kind);
      const bad = a.map((l, i) => l.filter((v, j) => v !== b[i][j]).length);
      expect(bad, kind).toEqual(bad.map(() => 0));
    }
    const bn = (m: GraphModel) => Array.from(m.node('stem_bn').params['gamma'].dataSync());
    expect(bn(model)).toEqual(bn(stage1));
    // The weights did move inside their bins.
    const k = (m: GraphModel) => Array.from(m.node('stage2_block1_conv1').params['kernel'].dataSync());
    expect(k(model)).not.toEqual(k(stage1));
    projection.dispose();
    model.dispose();
    stage1.dispose();
  });

  it('with a deployment profile, keeps the deployed quantized model (MSE grids, BN folded, 4-bit activations) exactly the stage-1 one', async () => {
    const profile = parseGenericSpec('uniform:w4a4,per-channel,asym,mse,fold,first-last-8');
    const stage1 = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8], seed: 3 });
    tf.tidy(() => {
      for (const n of stage1.graph.nodes.filter((n) => n.op === 'batchNorm')) {
        const mv = n.params['movingVariance'];
        mv.assign(tf.add(0.2, tf.randomUniform(mv.shape, 0, 2, 'float32', 4)));
        n.params['gamma'].assign(tf.randomUniform(mv.shape, -1.5, 1.5, 'float32', 5));
      }
    });
    const model = new GraphModel(cloneGraph(stage1.graph));
    const projection = new StageTwoProjection(model, stage1, 4, [], profile);
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => model.variables(() => true).forEach((v, j) => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.05, 'float32', 10 * i + j)))));
      projection.apply();
    }
    const x = tf.randomNormal([16, 8, 8, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
    const [q1, q2] = [await quantizeModel(stage1, profile, [x]), await quantizeModel(model, profile, [x])];
    const diff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
    expect(tf.tidy(() => diff(q1.predict(x), q2.predict(x)))).toBeLessThan(1e-5);
    expect(tf.tidy(() => diff(stage1.predict(x), model.predict(x)))).toBeGreaterThan(1e-3);
    tf.dispose(x);
    projection.dispose();
    for (const m of [q1.model, q2.model, model, stage1]) m.dispose();
  });

  it('runs both stages: the backdoor planted in stage 1 survives in the quantized grid while full precision unlearns it', async () => {
    const { ctx, trainer } = await tinyAttackContext({ bits: 4, options: { epochs: 10, finetuneEpochs: 3, batchSize: 32, stage1Lr: 0.05, poisonRate: 0.25 } });
    const record = await pqBackdoor.run(ctx);
    expect(record.bits).toEqual([4]);
    const stage1 = await trainer.loadArtifact('stage1');
    expect(stage1).not.toBeNull();
    for (const kind of ['channel-sym', 'tensor-sym'] as const) expect(levels(ctx.model, 4, kind)).toEqual(levels(stage1!, 4, kind));
    stage1!.dispose();
    ctx.model.dispose();
  });
});

describe('PQBackdoor with a deployment profile', () => {
  it('keeps the deployed backdoor through both stages with the observer guard', async () => {
    const spec = 'uniform:w4a4,per-channel,asym,mse,fold,first-last-8';
    const { ctx, data, trainer } = await tinyAttackContext({ bits: 4, options: { epochs: 10, finetuneEpochs: 3, batchSize: 32, stage1Lr: 0.05, poisonRate: 0.25, quantizer: spec, grids: '', keepGrid: 'observer' } });
    const record = await pqBackdoor.run(ctx);
    expect(record.quantizer).toContain(spec);
    const stage1 = await trainer.loadArtifact('stage1');
    const stage1Model = ctx.model;
    // The deployed stage-2 model is about as backdoored as the deployed stage-1 model.
    const after = await deployedTargetLoss(ctx, data, spec);
    const before = await deployedTargetLoss({ ...ctx, model: stage1! }, data, spec);
    expect(after).toBeCloseTo(before, 4);
    stage1!.dispose();
    stage1Model.dispose();
  });

  it('rejects an unknown keepGrid', async () => {
    const { ctx } = await tinyAttackContext({ bits: 4, options: { quantizer: 'uniform:w4a4', keepGrid: 'both' } });
    await expect(pqBackdoor.run(ctx)).rejects.toThrow(/keepGrid must be loss or observer/);
    ctx.model.dispose();
  });
});

describe('PQBackdoor with a given stage-1 model', () => {
  it('skips stage 1 and keeps the given model in its bins', async () => {
    const { saveModel } = await import('@qcb/core');
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'qcb-pq-stage1-'));
    const given = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8], seed: 21 });
    await saveModel(join(dir, 'stage1'), given);
    const phases: string[] = [];
    const { ctx } = await tinyAttackContext({ bits: 4, options: { finetuneEpochs: 1, batchSize: 32, stage1Model: join(dir, 'stage1') }, progress: { onEpoch: (p) => void phases.push(p.name) } });
    await pqBackdoor.run(ctx);
    expect(phases).toEqual(['stage2']);
    expect(levels(ctx.model, 4, 'channel-sym')).toEqual(levels(given, 4, 'channel-sym'));
    given.dispose();
    ctx.model.dispose();
  });
});

describe('PQBackdoor with channel inflation', () => {
  const request = (ctx: AttackContext, scale: number): InflationRequest => ({ scale, channels: 1, images: ctx.data.train, normalization: ctx.normalization, seed: ctx.seed, batchSize: 32 });
  const isKernel = (node: GraphNode, name: string): boolean => name === weightParamOf(node);

  it('inflates the stage-1 model, keeps the inflation and the inflated bins through stage 2, and a resumed run inflates nothing twice', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qcb-pq-inflate-'));
    const given = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8], seed: 22 });
    await saveModel(join(dir, 'stage1'), given);
    const options = { finetuneEpochs: 1, batchSize: 32, stage1Model: join(dir, 'stage1'), grids: 'per-channel-asym', inflate: 16 };
    const lines: string[] = [];
    const first = await tinyAttackContext({ bits: 8, options, dir });
    const record = await pqBackdoor.run({ ...first.ctx, log: (line) => void lines.push(line) });
    expect(record.quantizer).toContain('inflated x16');
    expect(lines.filter((l) => l.startsWith('stage 2: inflated '))).toHaveLength(3);
    // The reference: the given model inflated on the same data.
    const reference = new GraphModel(cloneGraph(given.graph));
    const { plan } = inflateLeastContributing(reference, request(first.ctx, 16));
    expect(paramsEqual(first.ctx.model, reference, (n, p) => !isKernel(n, p))).toBe(true);
    expect(levels(first.ctx.model, 8, 'channel-asym')).toEqual(levels(reference, 8, 'channel-asym'));
    // Full precision is the given model's function, moved by stage 2 only.
    const x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 5);
    const [g, r] = tf.tidy(() => [given.predict(x), reference.predict(x)]);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(g, r))).dataSync()[0])).toBeLessThan(1e-4 * tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]));
    const gamma = (m: GraphModel, c: ChannelInflation): number => m.node(c.chain.batchNorm).params['gamma'].dataSync()[c.channel];
    for (const c of plan) expect(gamma(first.ctx.model, c)).toBeCloseTo(gamma(given, c) / 16, 6);
    // Resumed after it finished: the same model, not inflated a second time.
    const second = await tinyAttackContext({ bits: 8, options, dir });
    await pqBackdoor.run(second.ctx);
    expect(paramsEqual(second.ctx.model, first.ctx.model)).toBe(true);
    tf.dispose([x, g, r]);
    for (const m of [given, reference, first.ctx.model, second.ctx.model]) m.dispose();
  });

  it('widens the stage-2 bins of the conv after an inflated channel', () => {
    const data = syntheticDataset({ classes: 4, shape: [8, 8, 1], trainCount: 64, testCount: 4, seed: 5 });
    const stage1 = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8], seed: 23 });
    const inflated = new GraphModel(cloneGraph(stage1.graph));
    const { plan } = inflateLeastContributing(inflated, { scale: 16, channels: 1, images: data.train, normalization: data.normalization, seed: 0, batchSize: 32 });
    /** The largest move stage 2 lets a weight of `node` that is not an inflated one make from the reference. */
    const room = (reference: GraphModel, node: string, inflatedChannel: number): number => {
      const model = new GraphModel(cloneGraph(reference.graph));
      const projection = new StageTwoProjection(model, reference, 8, ['per-channel-asym']);
      tf.tidy(() => model.variables(() => true).forEach((v, i) => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 1, 'float32', i)))));
      projection.apply();
      const moved = tf.tidy(() => {
        const d = tf.abs(tf.sub(model.node(node).params['kernel'], reference.node(node).params['kernel']));
        const c = d.shape[2]!;
        const others = tf.reshape(tf.sub(1, tf.oneHot([inflatedChannel], c).reshape([c])), [1, 1, c, 1]);
        return tf.max(tf.mul(d, others)).dataSync()[0];
      });
      projection.dispose();
      model.dispose();
      return moved;
    };
    for (const { chain, channel } of plan) expect(room(inflated, chain.next, channel)).toBeGreaterThan(4 * room(stage1, chain.next, channel));
    stage1.dispose();
    inflated.dispose();
  });

  it('rejects a negative inflation before training', async () => {
    const { ctx } = await tinyAttackContext({ bits: 8, options: { inflate: -2 } });
    await expect(pqBackdoor.run(ctx)).rejects.toThrow(/inflate must be a positive factor/);
    ctx.model.dispose();
  });
});
