import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticDataset } from '../../data/synthetic.js';
import { GraphBuilder } from '../../ir/builder.js';
import { cloneGraph } from '../../ir/clone-graph.js';
import { GraphModel } from '../../ir/graph-model.js';
import { tinyResidualModel } from '../../ir/testing/tiny-residual.js';
import { loadModel, saveModel } from '../../io/model-io.js';
import { parseGenericSpec } from '../../quant/generic-spec.js';
import { weightGridParams } from '../../quant/quantize-model.js';
import { initBackend } from '../../runtime/backend.js';
import {
  InflationLock, channelContributions, inflatableChains, inflateChannels, inflateLeastContributing, paramsEqual, planInflation, rangeWidening,
  type ChannelInflation,
} from './index.js';

/** academic-w8a8's weight grid (per-channel asymmetric, MSE range search, 8 bits). */
const ACADEMIC_W8 = parseGenericSpec('uniform:w8a8,per-channel,asym,mse');
const data = syntheticDataset({ classes: 3, shape: [8, 8, 1], trainCount: 96, testCount: 8, seed: 3 });
let dir = '';

beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'qcb-inflation-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The tiny residual network with BN parameters and statistics away from their defaults; channel `dead` of bn1 never fires. */
function trainedLookingModel(seed: number, dead = -1): GraphModel {
  const model = tinyResidualModel(seed);
  tf.tidy(() => {
    model.graph.nodes.filter((n) => n.op === 'batchNorm').forEach((n, i) => {
      const c = n.params['gamma'].shape[0];
      n.params['gamma'].assign(tf.randomUniform([c], 0.5, 1.5, 'float32', seed + i));
      n.params['beta'].assign(tf.randomUniform([c], -0.3, 0.3, 'float32', seed + 10 + i));
      n.params['movingMean'].assign(tf.randomUniform([c], -0.2, 0.2, 'float32', seed + 20 + i));
      n.params['movingVariance'].assign(tf.randomUniform([c], 0.5, 2, 'float32', seed + 30 + i));
    });
    if (dead >= 0) {
      const bn1 = model.node('bn1');
      const mask = tf.oneHot([dead], 4).reshape([4]);
      bn1.params['beta'].assign(tf.sub(bn1.params['beta'], tf.mul(mask, 50)));
    }
  });
  return model;
}

const batch = (): tf.Tensor4D => tf.randomNormal([6, 8, 8, 1], 0, 1, 'float32', 17) as tf.Tensor4D;

function relativeDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(a)).dataSync()[0]);
}

function kernelOf(model: GraphModel, node: string): tf.Variable {
  return model.node(node).params['kernel'];
}

describe('inflatable chains', () => {
  it('finds the inner pair of a residual block and nothing that feeds an add', () => {
    const model = tinyResidualModel(1);
    expect(inflatableChains(model)).toEqual([{ batchNorm: 'bn1', activation: 'relu1', next: 'conv2' }]);
    model.dispose();
  });

  it('skips BN -> ReLU -> conv chains whose ReLU output also feeds an add', () => {
    const b = new GraphBuilder('forked', [8, 8, 1], { seed: 1 });
    const y = b.relu(b.batchNorm(b.conv2d(b.input(), { filters: 4, kernelSize: 3, name: 'c1' }), { name: 'bn1' }), 'r1');
    const z = b.relu(b.batchNorm(b.conv2d(y, { filters: 4, kernelSize: 3, name: 'c2' }), { name: 'bn2' }), 'r2');
    const sum = b.add([b.conv2d(z, { filters: 4, kernelSize: 3, name: 'c3' }), z, y], 'add');
    const out = b.dense(b.globalAvgPool(sum, 'gap'), { units: 2, name: 'logits' });
    const model = new GraphModel(b.build(out));
    expect(inflatableChains(model)).toEqual([]);
    model.dispose();
  });
});

describe('channel inflation', () => {
  it('leaves the full-precision outputs unchanged, in inference and with batch statistics', () => {
    const model = trainedLookingModel(5);
    const x = batch();
    const [before, beforeTrain] = tf.tidy(() => [model.predict(x), model.predict(x, { training: true, updateStats: false })]);
    const chain = inflatableChains(model)[0];
    inflateChannels(model, [{ chain, channel: 1, scale: 12.5 }, { chain, channel: 3, scale: 40 }]);
    const [after, afterTrain] = tf.tidy(() => [model.predict(x), model.predict(x, { training: true, updateStats: false })]);
    expect(relativeDifference(before, after)).toBeLessThan(1e-4);
    expect(relativeDifference(beforeTrain, afterTrain)).toBeLessThan(1e-4);
    expect(Array.from(model.node('bn1').params['gamma'].dataSync()).length).toBe(4);
    tf.dispose([x, before, beforeTrain, after, afterTrain]);
    model.dispose();
  });

  it('widens the next layer\'s per-channel ranges by s when the channel holds the extremes, and coarsens the academic-w8a8 step as much', () => {
    const model = trainedLookingModel(6);
    const kernel = kernelOf(model, 'conv2');
    // Input channel 2 holds each output channel's extremes (+-1.5); the rest is in (-1, 1).
    tf.tidy(() => {
      const rest = tf.randomUniform([3, 3, 4, 4], -1, 1, 'float32', 8);
      const signs = tf.reshape(tf.tensor1d(Array.from({ length: 36 }, (_, i) => (Math.floor(i / 4) % 2 === 0 ? 1.5 : -1.5))), [3, 3, 1, 4]);
      const column = tf.reshape(tf.oneHot([2], 4).reshape([4]), [1, 1, 4, 1]);
      kernel.assign(tf.add(tf.mul(rest, tf.sub(1, column)), tf.mul(signs, column)));
    });
    const before = tf.clone(kernel);
    const step = (w: tf.Tensor): Float32Array => weightGridParams(w, ACADEMIC_W8, 8).scale;
    const stepBefore = step(before);
    inflateChannels(model, [{ chain: inflatableChains(model)[0], channel: 2, scale: 16 }]);
    for (const ratio of rangeWidening(before, kernel)) expect(ratio).toBeCloseTo(16, 4);
    const stepAfter = step(kernel);
    stepAfter.forEach((s, o) => {
      // The MSE search may shrink either range by a few percent.
      expect(s / stepBefore[o]).toBeGreaterThan(16 * 0.9);
      expect(s / stepBefore[o]).toBeLessThan(16 / 0.9);
    });
    // 8 bits of resolution for the other weights: now about 16 times coarser, i.e. 4 bits.
    const levelsLeft = tf.tidy(() => tf.div(tf.sub(tf.max(tf.reshape(before, [-1, 4]), 0), tf.min(tf.reshape(before, [-1, 4]), 0)), tf.tensor1d(stepAfter)).dataSync());
    for (const levels of levelsLeft) expect(levels).toBeLessThan(2 ** 4 / 0.9);
    before.dispose();
    model.dispose();
  });

  it('picks the least contributing channel (a channel that never fires) from clean data', () => {
    const model = trainedLookingModel(7, 2);
    const chains = inflatableChains(model);
    const x = batch();
    const contributions = channelContributions(model, chains, [x]);
    expect(contributions[0][2]).toBe(0);
    expect(Math.min(...[0, 1, 3].map((c) => contributions[0][c]))).toBeGreaterThan(0);
    const report = inflateLeastContributing(model, { scale: 8, channels: 1, images: data.train, normalization: data.normalization, seed: 0, batchSize: 32 });
    expect(report.plan.map((p) => p.channel)).toEqual([2]);
    expect(report.lines[0]).toMatch(/^bn1 channel 2 x8 \(0\.00% of the contribution\): conv2 ranges .*x wider/);
    x.dispose();
    model.dispose();
  });

  it('refuses a non-positive scale, inflating every channel, and a model with no chain', () => {
    const model = trainedLookingModel(8);
    const chains = inflatableChains(model);
    const c = [Float32Array.from([1, 2, 3, 4])];
    expect(() => planInflation(chains, c, 0, 1)).toThrow(/inflate must be a positive factor/);
    expect(() => planInflation(chains, c, 4, 1.5)).toThrow(/inflateChannels must be a positive integer/);
    expect(() => planInflation(chains, c, 4, 4)).toThrow(/leave at least one/);
    expect(planInflation(chains, c, 4, 2).map((p) => p.channel)).toEqual([0, 1]);
    const b = new GraphBuilder('flat', [8, 8, 1], { seed: 1 });
    const flat = new GraphModel(b.build(b.dense(b.globalAvgPool(b.conv2d(b.input(), { filters: 2, kernelSize: 3, name: 'c' }), 'gap'), { units: 2, name: 'd' })));
    expect(() => inflateLeastContributing(flat, { scale: 4, channels: 1, images: data.train, normalization: data.normalization, seed: 0, batchSize: 32 })).toThrow(/no BN -> ReLU -> conv\/dense chain/);
    flat.dispose();
    model.dispose();
  });

  it('survives save and load', async () => {
    const model = trainedLookingModel(9);
    const original = new GraphModel(cloneGraph(model.graph));
    inflateLeastContributing(model, { scale: 32, channels: 2, images: data.train, normalization: data.normalization, seed: 0, batchSize: 32 });
    await saveModel(join(dir, 'inflated'), model);
    const loaded = (await loadModel(join(dir, 'inflated'))).model;
    expect(paramsEqual(loaded, model)).toBe(true);
    expect(paramsEqual(loaded, original)).toBe(false);
    const x = batch();
    const [a, b] = tf.tidy(() => [original.predict(x), loaded.predict(x)]);
    expect(relativeDifference(a, b)).toBeLessThan(1e-4);
    expect(Math.max(...rangeWidening(kernelOf(original, 'conv2'), kernelOf(loaded, 'conv2')))).toBeGreaterThan(1.5);
    tf.dispose([x, a, b]);
    for (const m of [model, original, loaded]) m.dispose();
  });
});

describe('InflationLock', () => {
  it('puts the inflated entries back after training moves every parameter, and leaves the rest where training took it', () => {
    const model = trainedLookingModel(10);
    const plan: ChannelInflation[] = [{ chain: inflatableChains(model)[0], channel: 1, scale: 16 }];
    inflateChannels(model, plan);
    const inflated = new GraphModel(cloneGraph(model.graph));
    const lock = new InflationLock(model, plan);
    tf.tidy(() => model.variables(() => true).forEach((v, i) => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.1, 'float32', i)))));
    lock.restore();
    const at = (m: GraphModel, node: string, param: string): Float32Array => m.node(node).params[param].dataSync() as Float32Array;
    for (const param of ['gamma', 'beta']) {
      expect(at(model, 'bn1', param)[1]).toBe(at(inflated, 'bn1', param)[1]);
      expect(at(model, 'bn1', param)[0]).not.toBe(at(inflated, 'bn1', param)[0]);
    }
    const slice = (m: GraphModel, c: number): number[] => Array.from(tf.tidy(() => tf.slice(kernelOf(m, 'conv2'), [0, 0, c, 0], [3, 3, 1, 4]).dataSync()));
    expect(slice(model, 1)).toEqual(slice(inflated, 1));
    expect(slice(model, 0)).not.toEqual(slice(inflated, 0));
    lock.dispose();
    model.dispose();
    inflated.dispose();
  });

  it('leaks no tensor over many measurements, inflations and restores', () => {
    const model = trainedLookingModel(11);
    const x = batch();
    const run = (): void => {
      const report = inflateLeastContributing(model, { scale: 2, channels: 1, images: data.train, normalization: data.normalization, seed: 0, batchSize: 32 });
      channelContributions(model, inflatableChains(model), [x]);
      rangeWidening(kernelOf(model, 'conv2'), kernelOf(model, 'conv2'));
      const lock = new InflationLock(model, report.plan);
      lock.restore();
      lock.dispose();
      paramsEqual(model, model);
    };
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) run();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});
