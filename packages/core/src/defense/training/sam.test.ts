import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cloneGraph } from '../../ir/clone-graph.js';
import { GraphModel } from '../../ir/graph-model.js';
import { tinyResidualModel } from '../../ir/testing/tiny-residual.js';
import { initBackend } from '../../runtime/backend.js';
import { Sgd } from '../../train/optimizers/index.js';
import { crossEntropy } from '../../train/train-step.js';
import { Sam } from './sam.js';

beforeAll(async () => {
  await initBackend('wasm');
});

function batch(): { x: tf.Tensor4D; y: tf.Tensor1D } {
  return tf.tidy(() => ({ x: tf.randomNormal([12, 8, 8, 1], 0, 1, 'float32', 3) as tf.Tensor4D, y: tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], 'int32') }));
}

/** Cross-entropy in inference mode (BN on its moving statistics), so that only the weights matter. */
const lossOf = (model: GraphModel, x: tf.Tensor, y: tf.Tensor1D) => () => crossEntropy(model.predict(x), y);

function values(model: GraphModel): Float32Array[] {
  return model.variables().map((v) => v.dataSync() as Float32Array);
}

describe('Sam', () => {
  it('ascends before it descends: the loss at w + e is above the loss at w, plain and adaptive', () => {
    const { x, y } = batch();
    for (const adaptive of [false, true]) {
      const model = tinyResidualModel(2);
      const sam = new Sam(new Sgd(model.variables()), { rho: 0.05, adaptive });
      for (let i = 0; i < 3; i++) {
        const r = sam.step(lossOf(model, x, y), 0.1);
        expect(r.perturbedLoss).toBeGreaterThan(r.loss);
      }
      sam.dispose();
      model.dispose();
    }
    tf.dispose([x, y]);
  });

  it('updates w with the gradient taken at w + e (rho g / ||g||, or rho w^2 g / ||w g|| adaptive)', () => {
    const { x, y } = batch();
    for (const adaptive of [false, true]) {
      const rho = 0.5;
      const lr = 0.2;
      const a = tinyResidualModel(4);
      const b = new GraphModel(cloneGraph(a.graph));
      const sam = new Sam(new Sgd(a.variables()), { rho, adaptive });
      sam.step(lossOf(a, x, y), lr);
      // By hand on the copy: the same step, written out.
      const vars = b.variables();
      tf.tidy(() => {
        const g = tf.variableGrads(lossOf(b, x, y), vars).grads;
        const scaled = vars.map((v) => (adaptive ? tf.mul(tf.abs(v), g[v.name]) : g[v.name]));
        const norm = Math.sqrt(scaled.reduce((s, t) => s + tf.sum(tf.square(t)).dataSync()[0], 0));
        const e = vars.map((v) => tf.mul(adaptive ? tf.mul(tf.square(v), g[v.name]) : g[v.name], rho / norm));
        const w = vars.map((v) => tf.clone(v));
        vars.forEach((v, i) => v.assign(tf.add(v, e[i])));
        const g2 = tf.variableGrads(lossOf(b, x, y), vars).grads;
        vars.forEach((v, i) => v.assign(tf.sub(w[i], tf.mul(g2[v.name], lr))));
      });
      const got = values(a);
      values(b).forEach((want, i) => want.forEach((v, j) => expect(got[i][j]).toBeCloseTo(v, 5)));
      sam.dispose();
      [a, b].forEach((m) => m.dispose());
    }
    tf.dispose([x, y]);
  });

  it('restores w exactly before the base update (lr 0 leaves every weight as it was) and leaks nothing', () => {
    const { x, y } = batch();
    const model = tinyResidualModel(5);
    const sam = new Sam(new Sgd(model.variables(), { type: 'sgd', momentum: 0.9 }), { rho: 2 });
    const start = values(model);
    sam.step(lossOf(model, x, y), 0);
    const before = tf.memory().numTensors;
    sam.step(lossOf(model, x, y), 0);
    expect(tf.memory().numTensors).toBe(before);
    expect(values(model)).toEqual(start);
    sam.dispose();
    model.dispose();
    tf.dispose([x, y]);
  });

  it('perturbs by exactly rho: ||e|| = rho plain, ||e / |w| || = rho adaptive', () => {
    const model = tinyResidualModel(6);
    const vars = model.variables().filter((v) => v.name.length > 0);
    tf.tidy(() => {
      const g = vars.map((v, i) => tf.randomNormal(v.shape, 0, 1, 'float32', i));
      const plain = new Sam(new Sgd(vars), { rho: 0.3, adaptive: false }).ascent(vars, g);
      expect(Math.sqrt(plain.reduce((s, e) => s + tf.sum(tf.square(e)).dataSync()[0], 0))).toBeCloseTo(0.3, 5);
      // Variables that are zero (fresh biases, BN beta) get no adaptive perturbation.
      const adaptive = new Sam(new Sgd(vars), { rho: 0.3 }).ascent(vars, g);
      const ratio = adaptive.map((e, i) => tf.where(tf.equal(vars[i], 0), tf.zerosLike(e), tf.div(e, tf.abs(vars[i]))));
      expect(Math.sqrt(ratio.reduce((s, r) => s + tf.sum(tf.square(r)).dataSync()[0], 0))).toBeCloseTo(0.3, 5);
    });
    model.dispose();
  });
});
