import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyResidualModel } from '../ir/testing/tiny-residual.js';
import { initBackend } from '../runtime/backend.js';
import { Engine } from '../kernel/engine.js';
import { paramsFromRange } from './affine-params.js';
import { fakeQuant } from './fake-quant.js';
import { foldBatchNorm } from './fold-batch-norm.js';
import { parseGenericSpec } from './generic-spec.js';
import { gridFor } from './grid.js';
import { minMaxRange, mseRange } from './observers/index.js';
import type { QuantizerProfile } from './profile.js';
import { parseQuantJson, quantJsonOf } from './quant-json.js';
import { quantizeModel } from './quantize-model.js';
import { weightParamOf } from './weight-view.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const W4A4: QuantizerProfile = {
  name: 'test-w4a4',
  description: 'academic-style W4A4',
  weights: { bits: 4, granularity: 'per-channel', symmetric: false, observer: 'mse' },
  activations: { bits: 4, symmetric: false, observer: 'mse', smoothing: { kind: 'ema', factor: 0.9 } },
  firstLastAt8Bits: true,
  foldBatchNorm: false,
};

function calibrationBatches(n: number, seed: number): tf.Tensor4D[] {
  return Array.from({ length: n }, (_, i) => tf.randomNormal([8, 8, 8, 1], 0, 1, 'float32', seed + i) as tf.Tensor4D);
}

describe('affine grids and fake quantization', () => {
  it('computes asymmetric and symmetric params as the reference defines them', () => {
    const g4 = gridFor(4, false);
    expect(g4).toEqual({ bits: 4, qmin: 0, qmax: 15 });
    const p = paramsFromRange([-1], [2], g4, false, null);
    expect(p.scale[0]).toBeCloseTo(0.2, 6);
    expect(p.zeroPoint[0]).toBe(5);
    const s8 = paramsFromRange([-2], [1.5], gridFor(8, true), true, null);
    expect(s8.scale[0]).toBeCloseTo(2 / 127.5, 6);
    expect(s8.zeroPoint[0]).toBe(0);
    expect(gridFor(8, true, { narrowRange: true })).toEqual({ bits: 8, qmin: -127, qmax: 127 });
    expect(gridFor(8, false, { reduceRange: true })).toEqual({ bits: 8, qmin: 0, qmax: 127 });
  });

  it('dequantize(quantize(x)) is within scale/2 inside the range', () => {
    tf.tidy(() => {
      const x = tf.randomUniform([1000], -1, 2, 'float32', 1);
      const p = paramsFromRange([-1], [2], gridFor(4, false), false, null);
      const err = tf.max(tf.abs(tf.sub(fakeQuant(x, p), x))).dataSync()[0];
      expect(err).toBeLessThanOrEqual(p.scale[0] / 2 + 1e-6);
    });
  });

  it('passes gradients straight through the rounding and stops them outside the range', () => {
    tf.tidy(() => {
      const p = paramsFromRange([-1], [1], gridFor(4, false), false, null);
      const x = tf.tensor1d([-3, -0.52, 0.1, 0.77, 5]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(fakeQuant(t, p)))(x);
      expect(Array.from(g.dataSync())).toEqual([0, 1, 1, 1, 0]);
    });
  });

  it('MSE search beats min-max on a heavy-tailed tensor', () => {
    tf.tidy(() => {
      // Student-t-like: normal / sqrt(chi2) gives rare huge values.
      const x = tf.div(tf.randomNormal([20000], 0, 1, 'float32', 2), tf.add(tf.abs(tf.randomNormal([20000], 0, 0.3, 'float32', 3)), 0.05));
      const grid = gridFor(4, false);
      const err = (r: { min: Float32Array; max: Float32Array }) => {
        const p = paramsFromRange(r.min, r.max, grid, false, null);
        return tf.mean(tf.square(tf.sub(fakeQuant(x, p), x))).dataSync()[0];
      };
      const mm = minMaxRange(x, false);
      const mse = mseRange(x, false, grid, false);
      expect(mse.max[0]).toBeLessThan(mm.max[0]);
      expect(err(mse)).toBeLessThan(err(mm) * 0.8);
    });
  });
});

describe('MSE search on a strided subset', () => {
  it('finds nearly the full search range and samples every channel', () => {
    tf.tidy(() => {
      // 16 channels; only channel 3 carries large values.
      const base = tf.randomNormal([64, 10, 10, 16], 0, 1, 'float32', 7);
      const mask = tf.oneHot(tf.fill([64 * 10 * 10], 3, 'int32'), 16).reshape([64, 10, 10, 16]);
      const x = tf.add(base, tf.mul(mask, 6));
      const grid = gridFor(4, false);
      const full = mseRange(x, false, grid, false);
      const sub = mseRange(x, false, grid, false, 4000);
      expect(Math.abs(sub.max[0] - full.max[0]) / full.max[0]).toBeLessThan(0.05);
      expect(Math.abs(sub.min[0] - full.min[0]) / Math.abs(full.min[0])).toBeLessThan(0.1);
    });
  });
});

describe('quantizeModel', () => {
  it('puts every weight on its grid, at most 2^bits levels per output channel, first and last at 8 bits', async () => {
    const model = tinyResidualModel(1);
    const batches = calibrationBatches(3, 10);
    const q = await quantizeModel(model, W4A4, batches);
    const baked = q.bake();
    const compute = baked.model.graph.nodes.filter((n) => weightParamOf(n));
    expect(compute.map((n) => q.parts.weights.get(n.name)!.bits)).toEqual([8, 4, 4, 8]);
    expect([...q.parts.activations.values()].map((p) => p.bits)).toEqual([8, 4, 4, 8]);
    for (const node of compute) {
      const p = q.parts.weights.get(node.name)!;
      const w = node.params[weightParamOf(node)!];
      const values = w.dataSync();
      const channels = w.shape[w.rank - 1];
      for (let c = 0; c < channels; c++) {
        const levels = new Set<number>();
        for (let i = c; i < values.length; i += channels) {
          const level = values[i] / p.scale[c] + p.zeroPoint[c];
          expect(Math.abs(level - Math.round(level))).toBeLessThan(1e-3);
          expect(Math.round(level)).toBeGreaterThanOrEqual(p.qmin);
          expect(Math.round(level)).toBeLessThanOrEqual(p.qmax);
          levels.add(Math.round(level));
        }
        expect(levels.size).toBeLessThanOrEqual(2 ** p.bits);
      }
    }
    // The baked model with activation quantization equals the on-the-fly simulation.
    tf.tidy(() => {
      const x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 99);
      const a = q.predict(x);
      const b = baked.predict(x);
      expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
      const fp = model.predict(x);
      expect(tf.max(tf.abs(tf.sub(a, fp))).dataSync()[0]).toBeGreaterThan(0);
    });
    tf.dispose(batches);
    baked.model.dispose();
    model.dispose();
  });

  it('runs the quantizer hooks, which may adjust every grid', async () => {
    const engine = await Engine.create();
    const seen: string[] = [];
    engine.hooks.quantizer.beforeQuantize.tap('t', (run) => void seen.push(`before:${run.quantizer}`));
    engine.hooks.quantizer.observeRanges.tap('t', (p, target) => {
      seen.push(`${target.kind}:${target.node.name}`);
      return target.kind === 'activation' ? { ...p, bits: 8 } : p;
    });
    const model = tinyResidualModel(2);
    const batches = calibrationBatches(2, 20);
    const q = await quantizeModel(model, W4A4, batches, { hooks: engine.hooks.quantizer });
    expect(seen[0]).toBe('before:test-w4a4');
    expect(seen.filter((s) => s.startsWith('weight:'))).toHaveLength(4);
    expect(seen.filter((s) => s.startsWith('activation:'))).toHaveLength(4);
    expect([...q.parts.activations.values()].every((p) => p.bits === 8)).toBe(true);
    tf.dispose(batches);
    model.dispose();
  });

  it('folds BN into the conv before it without changing inference outputs', () => {
    const model = tinyResidualModel(3);
    // Move BN statistics away from their initial values.
    tf.tidy(() => {
      for (let i = 0; i < 3; i++) model.predict(tf.randomNormal([8, 8, 8, 1], 1, 2, 'float32', i), { training: true });
    });
    const folded = foldBatchNorm(model);
    expect(folded.graph.nodes.some((n) => n.op === 'batchNorm')).toBe(false);
    expect(folded.graph.nodes.length).toBe(model.graph.nodes.length - 3);
    tf.tidy(() => {
      const x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 5);
      expect(tf.max(tf.abs(tf.sub(model.predict(x), folded.predict(x)))).dataSync()[0]).toBeLessThan(1e-4);
    });
    folded.dispose();
    model.dispose();
  });

  it('round-trips its grids through quant.json', async () => {
    const model = tinyResidualModel(4);
    const batches = calibrationBatches(1, 30);
    const q = await quantizeModel(model, W4A4, batches);
    const json = JSON.parse(JSON.stringify(quantJsonOf(q)));
    const parsed = parseQuantJson(json, 'quant.json', new Set(model.graph.nodes.map((n) => n.name)));
    expect([...parsed.weights.keys()]).toEqual([...q.parts.weights.keys()]);
    expect(Array.from(parsed.activations.get('conv1')!.scale)).toEqual(Array.from(q.parts.activations.get('conv1')!.scale));
    expect(() => parseQuantJson({ ...json, weights: { nope: json.weights.stem } }, 'quant.json', new Set(['stem']))).toThrow(/weights.nope names no layer/);
    tf.dispose(batches);
    model.dispose();
  });
});

describe('generic quantizer specs', () => {
  it('parse bit widths and options', () => {
    const p = parseGenericSpec('uniform:w4a8,per-tensor,sym,minmax,fold,first-last-8');
    expect(p.weights).toEqual({ bits: 4, granularity: 'per-tensor', symmetric: true, observer: 'minmax' });
    expect(p.activations?.bits).toBe(8);
    expect(p.foldBatchNorm).toBe(true);
    expect(p.firstLastAt8Bits).toBe(true);
    expect(parseGenericSpec('uniform:w8').activations).toBeNull();
    expect(() => parseGenericSpec('uniform:w4a8,foo')).toThrow(/unknown token "foo"/);
    expect(() => parseGenericSpec('uniform:4bit')).toThrow(/must start with uniform:w<bits>/);
  });
});
