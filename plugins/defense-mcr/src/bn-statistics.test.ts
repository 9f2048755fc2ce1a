import * as tf from '@tensorflow/tfjs-core';
import { imageBatch, initBackend, normalize, syntheticDataset, type GraphModel } from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { recomputeBnStatistics } from './bn-statistics.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('recomputeBnStatistics', () => {
  it("sets each BN's moving statistics to the batch-size-weighted average of its training-mode batch moments, whatever they were", () => {
    const data = syntheticDataset({ classes: 4, shape: [8, 8, 1], trainCount: 10, testCount: 2, seed: 2 });
    const model: GraphModel = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8], seed: 5 });
    const bns = model.graph.nodes.filter((n) => n.op === 'batchNorm');
    // Expected, batch by batch (4, 4, 2 images): the moments of each BN's input as the training-mode forward computes it.
    const want = new Map(bns.map((n) => [n.name, { mean: new Float64Array(n.params['movingMean'].size), variance: new Float64Array(n.params['movingMean'].size) }]));
    for (const [start, n] of [[0, 4], [4, 4], [8, 2]]) {
      const raw = imageBatch(data.train, Int32Array.from({ length: n }, (_, i) => start + i));
      tf.tidy(() => {
        const inputs = model.outputsOf(normalize(raw.x, data.normalization), bns.map((b) => b.inputs[0]), { training: true, updateStats: false });
        bns.forEach((b, i) => {
          const { mean, variance } = tf.moments(inputs[i], [0, 1, 2]);
          mean.dataSync().forEach((v, c) => (want.get(b.name)!.mean[c] += (v * n) / 10));
          variance.dataSync().forEach((v, c) => (want.get(b.name)!.variance[c] += (v * n) / 10));
        });
      });
      tf.dispose([raw.x, raw.y]);
    }
    for (const b of bns) tf.tidy(() => b.params['movingMean'].assign(tf.fill(b.params['movingMean'].shape, 7)));
    const tensors = tf.memory().numTensors;
    recomputeBnStatistics(model, data.train, data.normalization, 4);
    expect(tf.memory().numTensors).toBe(tensors);
    for (const b of bns) {
      const got = { mean: b.params['movingMean'].dataSync(), variance: b.params['movingVariance'].dataSync() };
      want.get(b.name)!.mean.forEach((v, c) => expect(got.mean[c]).toBeCloseTo(v, 5));
      want.get(b.name)!.variance.forEach((v, c) => expect(got.variance[c]).toBeCloseTo(v, 5));
    }
    model.dispose();
  });
});
