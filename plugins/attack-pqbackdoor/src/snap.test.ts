import * as tf from '@tensorflow/tfjs-core';
import { GraphModel, cloneGraph, initBackend, parseGenericSpec, quantizeModel, weightGridParams, weightParamOf } from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { StageTwoProjection } from './projection.js';
import { snapToProfileGrid } from './snap.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const W8_MSE = parseGenericSpec('uniform:w8,per-channel,asym,mse');
const tiny = (seed: number): GraphModel => resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8], seed });
const kernels = (m: GraphModel): tf.Tensor[] => m.graph.nodes.filter((n) => weightParamOf(n)).map((n) => n.params[weightParamOf(n)!]);
const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('snapToProfileGrid', () => {
  it('puts every kernel on a grid the MSE observer then picks itself, so the quantized model is the snapped model', async () => {
    const model = tiny(4);
    const before = kernels(model).map((k) => tf.clone(k));
    const report = snapToProfileGrid(model, W8_MSE);
    expect(report.channels).toBe(4 + 4 + 4 + 8 + 8 + 8 + 8 + 8 + 8 + 4);
    expect(report.observerAgrees).toBe(report.channels);
    // A small move (at most half an 8-bit step), not a new model.
    kernels(model).forEach((k, i) => expect(maxDiff(k, before[i])).toBeGreaterThan(0));
    const x = tf.randomNormal([8, 8, 8, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const q = await quantizeModel(model, W8_MSE, [x]);
    expect(tf.tidy(() => maxDiff(q.predict(x), model.predict(x)))).toBeLessThan(1e-4);
    // Snapping twice changes nothing beyond float rounding (the grid is a fixed point).
    const once = kernels(model).map((k) => tf.clone(k));
    snapToProfileGrid(model, W8_MSE);
    kernels(model).forEach((k, i) => expect(maxDiff(k, once[i])).toBeLessThan(1e-6));
    tf.dispose([x, ...before, ...once]);
    q.model.dispose();
    model.dispose();
  });

  it('with a share of the bin, keeps the MSE observer on the snapped grid where the whole bin lets it move', () => {
    // The guard counts every channel step it had to shorten to keep the observer's grid.
    const shortened = (binShare: number): number => {
      const stage1 = tiny(5);
      snapToProfileGrid(stage1, W8_MSE);
      const model = new GraphModel(cloneGraph(stage1.graph));
      const projection = new StageTwoProjection(model, stage1, 8, [], W8_MSE, { binShare });
      for (let i = 0; i < 5; i++) {
        tf.tidy(() => model.variables(() => true).forEach((v, j) => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.05, 'float32', 10 * i + j)))));
        projection.apply();
      }
      const count = projection.shortened;
      projection.dispose();
      model.dispose();
      stage1.dispose();
      return count;
    };
    const whole = shortened(1);
    const part = shortened(0.5);
    expect(whole).toBeGreaterThan(0);
    expect(part).toBeLessThan(whole);
  });

  it('with a bound on each channel\'s rms move, keeps the MSE observer on the snapped grid while single weights use their whole bin', () => {
    const changedGrids = (binRms: number): { changed: number; widest: number } => {
      const stage1 = tiny(6);
      snapToProfileGrid(stage1, W8_MSE);
      const model = new GraphModel(cloneGraph(stage1.graph));
      const projection = new StageTwoProjection(model, stage1, 8, [], W8_MSE, { observerGuard: false, binRms });
      for (let i = 0; i < 5; i++) {
        // Steps that concentrate on a tenth of the weights, as a gradient does on the ones that matter.
        tf.tidy(() => model.variables(() => true).forEach((v, j) => {
          const some = tf.cast(tf.less(tf.randomUniform(v.shape, 0, 1, 'float32', 30 * i + j), 0.1), 'float32');
          v.assign(tf.add(v, tf.mul(some, tf.randomNormal(v.shape, 0, 0.05, 'float32', 20 * i + j))));
        }));
        projection.apply();
      }
      let changed = 0;
      let widest = 0;
      const [after, before] = [kernels(model), kernels(stage1)];
      after.forEach((k, i) => {
        const p = weightGridParams(k, W8_MSE, 8);
        const q = weightGridParams(before[i], W8_MSE, 8);
        changed += Array.from(p.scale, (s, c) => Math.abs(s - q.scale[c]) > 1e-6 * s || p.zeroPoint[c] !== q.zeroPoint[c]).filter(Boolean).length;
        widest = Math.max(widest, tf.tidy(() => tf.max(tf.div(tf.abs(tf.sub(k, before[i])), tf.tensor1d(q.scale))).dataSync()[0]));
      });
      projection.dispose();
      model.dispose();
      stage1.dispose();
      return { changed, widest };
    };
    const free = changedGrids(0);
    const bounded = changedGrids(0.25);
    expect(free.changed).toBeGreaterThan(0);
    expect(bounded.changed).toBe(0);
    expect(bounded.widest).toBeGreaterThan(0.4);
  });
});
