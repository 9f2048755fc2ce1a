import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { reestimateBatchNorm } from './reestimate-batch-norm.js';
import { tinyResidualModel } from './testing/tiny-residual.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('reestimateBatchNorm', () => {
  it('on one batch, makes inference on that batch equal training-mode inference', () => {
    const model = tinyResidualModel();
    const x = tf.randomNormal([16, 8, 8, 1], 0.5, 2, 'float32', 7);
    const trained = model.predict(x, { training: true, updateStats: false });
    const before = model.predict(x);
    expect(maxDiff(before, trained)).toBeGreaterThan(1e-2);

    const shifts = reestimateBatchNorm(model, [x]);
    expect(shifts.map((s) => s.node)).toEqual(['stem_bn', 'bn1', 'bn2']);
    // The tiny model ships zero means and unit variances: its input's statistics are far off.
    expect(shifts[0].meanShift).toBeGreaterThan(0.1);
    const after = model.predict(x);
    expect(maxDiff(after, trained)).toBeLessThan(1e-4);
    tf.dispose([x, trained, before, after]);
    model.dispose();
  });

  it('averages the batch moments over several batches, without leaking a tensor', () => {
    const model = tinyResidualModel();
    const batches = [0, 1, 2].map((seed) => tf.randomNormal([8, 8, 8, 1], seed, 1 + seed, 'float32', seed));
    reestimateBatchNorm(model, batches);
    const stem = model.graph.nodes.find((n) => n.name === 'stem')!;
    const bn = model.graph.nodes.find((n) => n.name === 'stem_bn')!;
    tf.tidy(() => {
      const moments = batches.map((x) => tf.moments(model.outputsOf(x, ['stem'])[0], [0, 1, 2]));
      const mean = tf.div(tf.addN(moments.map((m) => m.mean)), 3);
      const variance = tf.div(tf.addN(moments.map((m) => m.variance)), 3);
      expect(stem.op).toBe('conv2d');
      expect(maxDiff(bn.params['movingMean'], mean)).toBeLessThan(1e-5);
      expect(maxDiff(bn.params['movingVariance'], variance)).toBeLessThan(1e-4);
    });
    // Statistics measured in training mode do not depend on the running ones they replace.
    for (const s of reestimateBatchNorm(model, batches)) {
      expect(s.meanShift).toBeLessThan(1e-5);
      expect(s.varianceChange).toBeLessThan(1e-5);
    }
    const numTensors = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) reestimateBatchNorm(model, batches);
    expect(tf.memory().numTensors).toBe(numTensors);
    tf.dispose(batches);
    model.dispose();
  });
});
