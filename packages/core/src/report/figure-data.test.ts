import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_MODULES } from '../builtins.js';
import { syntheticDataset } from '../data/synthetic.js';
import type { GraphModel } from '../ir/graph-model.js';
import { Engine } from '../kernel/engine.js';
import { parseGenericSpec } from '../quant/generic-spec.js';
import { quantizeModel } from '../quant/quantize-model.js';
import type { QuantizedModel } from '../quant/quantized-model.js';
import { initBackend } from '../runtime/backend.js';
import { measureDrift, type UnitDrift } from '../scan/drift.js';
import { pruningLossIncrease } from '../scan/importance.js';
import { scanData, type ScanData } from '../scan/scan-data.js';
import { tinyResnet } from '../scan/testing/tiny-resnet.js';
import { bnInputMoments, bnRunningMoments, unitBatchNorms } from './bn-input-stats.js';
import { backdoorAndBenignNeurons, everyNeuronImportance } from './neuron-importance.js';
import { neuronHistograms } from './neuron-histograms.js';
import { unitMeanDrift } from './unit-drift.js';

const data = syntheticDataset({ trainCount: 512 });
let model: GraphModel;
let quantized: QuantizedModel;
let held: ScanData;
let drift: UnitDrift[];

beforeAll(async () => {
  await initBackend('wasm');
  const engine = await Engine.create(BUILTIN_MODULES);
  model = tinyResnet();
  held = scanData(engine, data.train, { version: 1, trigger: { type: 'patch', size: 2 }, target: 0 }, data.normalization, { batchSize: 8 });
  quantized = await quantizeModel(model, parseGenericSpec('uniform:w4a4,per-channel,asym,mse'), held.batches);
  drift = await measureDrift(model, quantized, held.batches);
});

afterAll(() => {
  held.dispose();
  if (quantized.model !== model) quantized.model.dispose();
  model.dispose();
});

describe('report figure data', () => {
  it('measures every neuron of the units asked for and picks the highest and lowest importance', async () => {
    const last = drift.length - 1;
    const triggered = held.backdoor!.triggered;
    const importance = await everyNeuronImportance(quantized, drift, triggered, { include: (u) => u.index !== drift[last].index });
    expect(importance.map((a) => a.length)).toEqual(drift.map((u, i) => (i === last ? 0 : u.kl.length)));
    const { backdoor, benign } = backdoorAndBenignNeurons(drift, importance);
    expect(backdoor.importance).toBe(Math.max(...importance.flatMap((a) => Array.from(a))));
    expect(benign.importance).toBe(Math.min(...importance.flatMap((a) => Array.from(a))));
    // The scan's own measure of that one neuron agrees.
    const [[again]] = await pruningLossIncrease(quantized, [{ node: backdoor.quantizedNode, channels: [backdoor.channel] }], triggered);
    expect(again).toBeCloseTo(backdoor.importance, 5);
  });

  it('histograms each neuron on each image set in both models over one shared range', async () => {
    const neurons = [{ node: drift[1].node, quantizedNode: drift[1].quantizedNode, channel: 2 }, { node: drift[3].node, quantizedNode: drift[3].quantizedNode, channel: 0 }];
    const sets = [{ name: 'clean', batches: held.backdoor!.clean.map((b) => b.x) }, { name: 'triggered', batches: held.backdoor!.triggered.map((b) => b.x) }];
    const before = tf.memory().numTensors;
    const h = await neuronHistograms(model, quantized, neurons, sets, 16);
    expect(tf.memory().numTensors).toBe(before);
    expect(h).toHaveLength(8);
    for (const curve of h) {
      expect(curve.fractions).toHaveLength(16);
      expect(curve.fractions.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 9);
      const same = h.filter((o) => o.neuron === curve.neuron);
      expect(new Set(same.map((o) => `${o.lo},${o.hi}`)).size).toBe(1);
    }
    expect(h.map((c) => `${c.neuron} ${c.images} ${c.model}`).slice(0, 4)).toEqual([
      '0 clean full precision', '0 clean quantized', '0 triggered full precision', '0 triggered quantized',
    ]);
  });

  it('averages each unit\'s drift', () => {
    const means = unitMeanDrift(drift);
    expect(means.map((m) => m.unit)).toEqual(drift.map((u) => u.unit));
    expect(means[0].meanKl).toBeCloseTo(drift[0].kl.reduce((s, v) => s + v, 0) / drift[0].kl.length, 12);
  });

  it('taps a unit\'s BN input: the statistics of all its batches, next to the running ones', () => {
    const unit = model.units()[1];
    const [bn] = unitBatchNorms(model, unit);
    expect(bn).toBe('stage1_block1_bn1');
    const inputs = held.batches.map((b) => model.outputsOf(b, [unit.input])[0]);
    const direct = tf.tidy(() => {
      const all = tf.concat(held.batches.map((b) => model.outputsOf(b, [unit.head])[0]));
      const { mean, variance } = tf.moments(all, [0, 1, 2]);
      return [mean.dataSync(), tf.sqrt(variance).dataSync()];
    });
    const before = tf.memory().numTensors;
    const m = bnInputMoments(model, unit, bn, inputs);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(inputs);
    m.mean.forEach((v, k) => expect(v).toBeCloseTo(direct[0][k], 4));
    m.std.forEach((v, k) => expect(v).toBeCloseTo(direct[1][k], 4));
    const running = bnRunningMoments(model, bn);
    expect(running.std[0]).toBeCloseTo(Math.sqrt(model.node(bn).params['movingVariance'].dataSync()[0]), 6);
  });
});
