import * as tf from '@tensorflow/tfjs-core';
import { GraphModel, cloneGraph, crossEntropy, initBackend } from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { BezierCurve, averageMiddle, bezierWeights, isCurved } from './bezier.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const tiny = (seed: number): GraphModel => resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8], seed });
const copy = (m: GraphModel): GraphModel => new GraphModel(cloneGraph(m.graph));

/** Every parameter's values by `node/param`, trainable ones only or all. */
function params(m: GraphModel, curvedOnly = true): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const node of m.graph.nodes) {
    for (const [name, v] of Object.entries(node.params)) if (!curvedOnly || isCurved(node, name)) out.set(`${node.name}/${name}`, Array.from(v.dataSync()));
  }
  return out;
}

/** Two endpoints that differ everywhere, BN moving statistics included. */
function endpoints(): { start: GraphModel; end: GraphModel } {
  const start = tiny(1);
  const end = tiny(2);
  for (const node of end.graph.nodes) {
    for (const name of node.frozen) tf.tidy(() => node.params[name].assign(tf.add(node.params[name], 0.5)));
    if (node.op === 'batchNorm') tf.tidy(() => node.params['gamma'].assign(tf.randomUniform(node.params['gamma'].shape, 0.5, 1.5, 'float32', 4)));
  }
  return { start, end };
}

describe('Bezier curve', () => {
  it('weighs the bends (1 - t)^2, 2t(1 - t), t^2', () => {
    expect(bezierWeights(0)).toEqual([1, 0, 0]);
    expect(bezierWeights(1)).toEqual([0, 0, 1]);
    expect(bezierWeights(0.5)).toEqual([0.25, 0.5, 0.25]);
    for (const t of [0.1, 0.37, 0.9]) expect(bezierWeights(t).reduce((a, b) => a + b)).toBeCloseTo(1, 12);
  });

  it('starts its middle bend at the average of the endpoints, BN moving statistics those of the start', () => {
    const { start, end } = endpoints();
    const mid = averageMiddle(start, end);
    const s = params(start);
    const e = params(end);
    for (const [key, values] of params(mid)) expect(values).toEqual(values.map((_, i) => Math.fround((s.get(key)![i] + e.get(key)![i]) / 2)));
    const frozen = (m: GraphModel): number[][] => [...params(m, false)].filter(([k]) => /moving/.test(k)).map(([, v]) => v);
    expect(frozen(mid)).toEqual(frozen(start));
    [start, end, mid].forEach((m) => m.dispose());
  });

  it('passes through its endpoints exactly: phi(0) = theta_0, phi(1) = theta_1, as weights and as the model run through the transform', () => {
    const { start, end } = endpoints();
    const mid = averageMiddle(start, end);
    // Train-like: a middle bend off the line.
    for (const v of mid.variables()) tf.tidy(() => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.3, 'float32', 9))));
    const curve = new BezierCurve(start, mid, end);
    const tensors = tf.memory().numTensors;
    const model = copy(start);
    curve.assign(model, 0);
    expect(params(model)).toEqual(params(start));
    curve.assign(model, 1);
    expect(params(model)).toEqual(params(end));
    curve.assign(model, 0.3);
    const [a, b, c] = bezierWeights(0.3);
    const s = params(start);
    const m = params(mid);
    const e = params(end);
    for (const [key, values] of params(model)) values.forEach((v, i) => expect(v).toBeCloseTo(a * s.get(key)![i] + b * m.get(key)![i] + c * e.get(key)![i], 5));
    model.dispose();
    // The transform substitutes trainable parameters only: each run keeps its model's BN statistics.
    const x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 3);
    const atStart = copy(start);
    const atEnd = copy(end);
    const run = (m: GraphModel, t?: number): number[] => tf.tidy(() => Array.from(m.predict(x, t === undefined ? {} : { transform: curve.transform(t) }).dataSync()));
    expect(run(atStart, 0)).toEqual(run(start));
    expect(run(atEnd, 1)).toEqual(run(end));
    [atStart, atEnd].forEach((mm) => mm.dispose());
    x.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    [start, end, mid].forEach((mm) => mm.dispose());
  });

  it("sends the middle bend 2t(1 - t) times the gradient at phi(t), and no gradient to the endpoints' weights", () => {
    const { start, end } = endpoints();
    const mid = averageMiddle(start, end);
    const curve = new BezierCurve(start, mid, end);
    const t = 0.3;
    const x = tf.randomNormal([6, 8, 8, 1], 0, 1, 'float32', 5);
    const y = tf.tensor1d([0, 1, 2, 3, 0, 1], 'int32');
    const work = copy(start);
    const point = copy(start);
    curve.assign(point, t);
    const startBefore = params(start);
    tf.tidy(() => {
      const viaCurve = tf.variableGrads(() => crossEntropy(work.predict(x, { transform: curve.transform(t) }), y), mid.variables()).grads;
      const atPoint = tf.variableGrads(() => crossEntropy(point.predict(x), y), point.variables()).grads;
      const pointVars = point.variables();
      mid.variables().forEach((v, i) => {
        const want = atPoint[pointVars[i].name].mul(2 * t * (1 - t)).dataSync();
        const got = viaCurve[v.name].dataSync();
        want.forEach((w, j) => expect(got[j]).toBeCloseTo(w, 5));
      });
    });
    expect(params(start)).toEqual(startBefore);
    tf.dispose([x, y]);
    [start, end, mid, work, point].forEach((m) => m.dispose());
  });
});
