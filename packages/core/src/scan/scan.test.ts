import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_MODULES } from '../builtins.js';
import { syntheticDataset } from '../data/synthetic.js';
import { cloneGraph } from '../ir/clone-graph.js';
import { GraphModel } from '../ir/graph-model.js';
import { Engine } from '../kernel/engine.js';
import { parseGenericSpec } from '../quant/generic-spec.js';
import { quantizeModel } from '../quant/quantize-model.js';
import { QuantizedModel } from '../quant/quantized-model.js';
import { initBackend } from '../runtime/backend.js';
import { measureDrift } from './drift.js';
import { pruningLossIncrease } from './importance.js';
import { preActivationPoints } from './pre-activation.js';
import { scanData, type ScanData } from './scan-data.js';
import { scanModel } from './scan.js';
import { suspicionScore } from './score.js';
import { tinyResnet } from './testing/tiny-resnet.js';

const data = syntheticDataset({ trainCount: 512 });
let engine: Engine;
let model: GraphModel;
let held: ScanData;

beforeAll(async () => {
  await initBackend('wasm');
  engine = await Engine.create(BUILTIN_MODULES);
  model = tinyResnet();
  held = scanData(engine, data.train, { version: 1, trigger: { type: 'patch', size: 2 }, target: 0 }, data.normalization, { batchSize: 8 });
});

afterAll(() => {
  held.dispose();
  model.dispose();
});

describe('preActivationPoints', () => {
  it('measures each unit after its BN and before its ReLU, or at the head when nothing normalises it', () => {
    const points = preActivationPoints(model);
    expect(points.map((p) => p.node)).toEqual([
      'stem_bn',
      'stage1_block1_bn1', 'stage1_block1_bn2',
      'stage2_block1_bn1', 'stage2_block1_bn2', 'stage2_block1_shortcut_bn',
      'stage3_block1_bn1', 'stage3_block1_bn2', 'stage3_block1_shortcut_bn',
      'logits',
    ]);
    expect(points[0]).toEqual({ unit: 'stem_conv', index: 0, node: 'stem_bn' });
  });
});

describe('scanModel', () => {
  it('reports every unit\'s most drifting neurons, a score per profile and the importance, and leaks no tensor', async () => {
    expect(held.batches.reduce((n, b) => n + b.shape[0], 0)).toBe(24);
    expect(held.backdoor?.target).toBe(0);
    const before = tf.memory().numTensors;
    const stages = new Set<string>();
    const report = await scanModel(model, {
      profiles: [parseGenericSpec('uniform:w4a4'), parseGenericSpec('uniform:w8a8,fold')],
      batches: held.batches,
      backdoor: held.backdoor,
      bins: 16,
      top: 3,
      hooks: engine.hooks.quantizer,
      onProgress: (p) => {
        stages.add(p.stage);
        expect(p.done).toBeLessThanOrEqual(p.total);
      },
    });
    expect(tf.memory().numTensors).toBe(before);
    expect([...stages]).toEqual(['full precision', 'uniform:w4a4', 'uniform:w8a8,fold']);
    expect(Object.keys(report.profiles)).toEqual(['uniform:w4a4', 'uniform:w8a8,fold']);
    expect(report).toMatchObject({ bins: 16, top: 3, images: 24, target: 0 });
    for (const p of Object.values(report.profiles)) {
      expect(Number.isFinite(p.score)).toBe(true);
      expect(p.score).toBeGreaterThanOrEqual(0);
      expect(p.neuronScore).toBeGreaterThan(0);
      expect(p.outputUnit).toBe(model.units()[model.units().length - 1].head);
      expect(Number.isInteger(p.favouredClass) && p.favouredClass >= 0).toBe(true);
      expect(p.neurons).toBe(4 + 4 + 4 + 8 * 6 + 4);
      expect(p.units.map((u) => u.unit)).toEqual(model.units().map((u) => u.head));
      for (const u of p.units) {
        expect(u.neurons).toHaveLength(3);
        const kls = u.neurons.map((n) => n.kl);
        expect(kls).toEqual([...kls].sort((a, b) => b - a));
        for (const n of u.neurons) {
          expect(n.channel).toBeGreaterThanOrEqual(0);
          expect(n.channel).toBeLessThan(u.channels);
          expect(n.kl).toBeGreaterThanOrEqual(0);
          expect(Number.isFinite(n.shift)).toBe(true);
          expect(Number.isFinite(n.importance)).toBe(true);
          expect(Number.isFinite(n.benignImportance)).toBe(true);
        }
      }
    }
    // Folding measures the folded conv against the full-precision BN output: same names in the report.
    expect(report.profiles['uniform:w8a8,fold'].units[0].node).toBe('stem_bn');
    // A 4-bit grid moves the bulk of the neurons more than an 8-bit one.
    expect(report.profiles['uniform:w4a4'].medianKl).toBeGreaterThan(report.profiles['uniform:w8a8,fold'].medianKl);
    JSON.parse(JSON.stringify(report));
  });

  it('a deliberately perturbed quantization drifts more than a mild one, and the perturbed neuron tops its unit', async () => {
    const mild = await quantizeModel(model, parseGenericSpec('uniform:w8a8'), held.batches);
    const harsh = await quantizeModel(model, parseGenericSpec('uniform:w2a2'), held.batches);
    // The mild quantization with one neuron of the last BN moved by two of its scales, as a QCB's backdoor neuron would be.
    const graph = cloneGraph(model.graph);
    const bn = graph.nodes.find((n) => n.name === 'stage3_block1_bn2')!;
    const moved = tf.tidy(() => tf.add(bn.params['beta'], tf.mul(tf.abs(bn.params['gamma']), tf.mul(tf.oneHot(tf.tensor1d([5], 'int32'), 8).reshape([8]), 2))));
    bn.params['beta'].assign(moved);
    moved.dispose();
    const perturbed = new QuantizedModel({ ...mild.parts, model: new GraphModel(graph) });
    try {
      const before = tf.memory().numTensors;
      const [m, h, p] = [
        await measureDrift(model, mild, held.batches, { bins: 32 }),
        await measureDrift(model, harsh, held.batches, { bins: 32 }),
        await measureDrift(model, perturbed, held.batches, { bins: 32 }),
      ];
      expect(tf.memory().numTensors).toBe(before);
      const meanKl = (units: typeof m): number => units.flatMap((u) => Array.from(u.kl)).reduce((s, v) => s + v, 0) / 64;
      expect(meanKl(h)).toBeGreaterThan(2 * meanKl(m));
      const unit = p.find((u) => u.node === 'stage3_block1_bn2')!;
      expect(Array.from(unit.kl).indexOf(Math.max(...unit.kl))).toBe(5);
      expect(unit.shift[5]).toBeGreaterThan(1);
      expect(suspicionScore(p.map((u) => u.kl)).score).toBeGreaterThan(2 * suspicionScore(m.map((u) => u.kl)).score);
    } finally {
      perturbed.model.dispose();
    }
  });
});

describe('pruningLossIncrease', () => {
  it('equals the loss change of the whole model run with the neuron zeroed', async () => {
    const q = await quantizeModel(model, parseGenericSpec('uniform:w4a4'), held.batches);
    const batches = held.backdoor!.triggered;
    const [tau] = await pruningLossIncrease(q, [{ node: 'stage1_block1_bn2', channels: [0, 2] }], batches);
    const direct = (channel: number | null): number => tf.tidy(() => {
      let sum = 0;
      let n = 0;
      for (const { x, y } of batches) {
        const logits = q.model.predict(x, {
          transform: {
            ...q.transform(),
            output: (node, out) => (channel !== null && node.name === 'stage1_block1_bn2' ? tf.mul(out, tf.sub(1, tf.oneHot(tf.tensor1d([channel], 'int32'), 4).reshape([4]))) : out),
          },
        });
        sum += tf.losses.softmaxCrossEntropy(tf.oneHot(y, 4), logits as tf.Tensor2D, undefined, undefined, tf.Reduction.SUM).dataSync()[0];
        n += x.shape[0];
      }
      return sum / n;
    });
    const base = direct(null);
    expect(tau[0]).toBeCloseTo(direct(0) - base, 4);
    expect(tau[1]).toBeCloseTo(direct(2) - base, 4);
  });
});
