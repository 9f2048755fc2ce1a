import * as tf from '@tensorflow/tfjs-core';
import { GraphModel, cloneGraph, gridFor, initBackend, paramsFromRange, parseGenericSpec, quantizeModel, quantizeToLevels, weightParamOf, withChannelsLast } from '@qcb/core';
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
