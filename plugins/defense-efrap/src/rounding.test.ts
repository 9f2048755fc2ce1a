import * as tf from '@tensorflow/tfjs-core';
import { fakeQuant, initBackend, type GraphNode, type QuantParams } from '@qcb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { flipGuide } from './guide.js';
import { FlipRounding } from './rounding.js';

beforeAll(async () => {
  await initBackend('wasm');
});

// Two output channels (the last axis), 4-bit asymmetric: levels 0..15.
const GRID: QuantParams = { bits: 4, qmin: 0, qmax: 15, axis: 3, scale: new Float32Array([0.1, 0.25]), zeroPoint: new Float32Array([8, 3]) };

describe('FlipRounding', () => {
  it('puts nearest rounding at h = nearestUp, its neighbour at 1 - nearestUp, and w itself at the initial soft rounding', () => {
    tf.tidy(() => {
      const w = tf.tensor4d([0.33, -0.26, 0.07, 0.61, -0.74, 0.3, 5, -3.9], [2, 2, 1, 2]);
      const r = new FlipRounding(w, GRID);
      expect(r.weight(r.nearestUp).arraySync()).toEqual(fakeQuant(w, GRID).arraySync());
      const levels = (t: tf.Tensor): number[] => Array.from(tf.add(tf.div(t, tf.tensor1d(GRID.scale)), tf.tensor1d(GRID.zeroPoint)).dataSync()).map((v) => Math.round(v * 1e4) / 1e4);
      const near = levels(r.weight(r.nearestUp));
      const other = levels(r.weight(r.flipped()));
      // Channel 0 steps of 0.1 from level 8, channel 1 steps of 0.25 from level 3; 5 and -3.9 clamp.
      expect(near).toEqual([11, 2, 9, 5, 1, 4, 15, 0]);
      expect(other).toEqual([12, 1, 8, 6, 0, 5, 15, 0]);
      expect(levels(r.weight(tf.sigmoid(r.initialLogits))).slice(0, 6).map((v) => Math.round(v * 100) / 100)).toEqual([11.3, 1.96, 8.7, 5.44, 0.6, 4.2]);
      expect(Array.from(FlipRounding.hard(tf.tensor1d([-0.1, 0, 2])).dataSync())).toEqual([0, 1, 1]);
      const error = Array.from(r.error.dataSync());
      [0.03, 0.01, 0.03, 0.11].forEach((e, i) => expect(error[i]).toBeCloseTo(e, 5));
      r.dispose();
    });
  });

  it('weighs the flip term by the truncation error, or by it times the input channel magnitude laid out per op', () => {
    tf.tidy(() => {
      const conv = new FlipRounding(tf.randomNormal([3, 3, 2, 2], 0, 0.5, 'float32', 1), GRID);
      // Channel 1 twice as large as channel 0: scales 2/3 and 4/3 (mean 1).
      const inputs = tf.concat([tf.fill([4, 5, 5, 1], -1), tf.fill([4, 5, 5, 1], 2)], 3);
      const node = (op: string): GraphNode => ({ name: op, op, inputs: [], attrs: {}, params: {}, frozen: [] });
      expect(flipGuide('error', conv, node('conv2d'), inputs).arraySync()).toEqual(conv.error.arraySync());
      const g = flipGuide('error-activation', conv, node('conv2d'), inputs);
      const ratio = tf.div(g, conv.error).arraySync() as number[][][][];
      expect(ratio[1][2][0][1]).toBeCloseTo(2 / 3, 5);
      expect(ratio[0][0][1][0]).toBeCloseTo(4 / 3, 5);
      const dense = new FlipRounding(tf.randomNormal([2, 2], 0, 0.5, 'float32', 2), { ...GRID, axis: 1 });
      const dRatio = tf.div(flipGuide('error-activation', dense, node('dense'), tf.tensor2d([[1, 3], [1, 3]])), dense.error).arraySync() as number[][];
      expect(dRatio[0][1]).toBeCloseTo(0.5, 5);
      expect(dRatio[1][0]).toBeCloseTo(1.5, 5);
      // Depthwise view [kh, kw, c * m] with m = 2: output j reads input channel floor(j / 2).
      const depthwise = new FlipRounding(tf.randomNormal([3, 3, 4], 0, 0.5, 'float32', 3), { ...GRID, axis: 2, scale: new Float32Array([0.1, 0.1, 0.2, 0.2]), zeroPoint: new Float32Array([8, 8, 8, 8]) });
      const wRatio = tf.div(flipGuide('error-activation', depthwise, node('depthwiseConv2d'), inputs), depthwise.error).arraySync() as number[][][];
      [2 / 3, 2 / 3, 4 / 3, 4 / 3].forEach((v, j) => expect(wRatio[0][0][j]).toBeCloseTo(v, 5));
      [conv, dense, depthwise].forEach((r) => r.dispose());
    });
  });
});
