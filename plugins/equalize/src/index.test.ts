import * as tf from '@tensorflow/tfjs-core';
import { Engine, GraphModel, defenseModule, initBackend, purify, startDefenseRun, syntheticDataset, type DefenseDefinition, type DefenseProgress } from '@qcb/core';
import lacModule from '@qcb/defense-lac';
import { resnetSmall } from '@qcb/models';
import academicW8a8 from '@qcb/quantizer-academic-w8a8';
import { beforeAll, describe, expect, it } from 'vitest';
import equalizeModule from './index.js';
import { scaleChannel } from './scale-channel.js';

const data = syntheticDataset({ classes: 4, shape: [8, 8, 1], trainCount: 400, testCount: 64, seed: 5 });
let fp: GraphModel;

beforeAll(async () => {
  await initBackend('wasm');
  fp = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [16, 16, 16], seed: 2 });
  const params = fp.node('stage1_block1_bn1').params;
  scaleChannel(params['gamma'], 0, 3, 32);
  scaleChannel(params['beta'], 0, 3, 32);
});

interface Seen { fp?: GraphModel; gamma?: number; diff?: number }

/** A defense that records the model it starts from (how far its outputs are from the received model's) and hands back its quantization. */
function recorder(seen: Seen): DefenseDefinition {
  return {
    operatesOn: 'quantized',
    optionKeys: [],
    async run(ctx) {
      seen.fp = ctx.fp;
      seen.gamma = ctx.fp.node('stage1_block1_bn1').params['gamma'].dataSync()[3];
      seen.diff = tf.tidy(() => tf.max(tf.abs(tf.sub(ctx.fp.predict(ctx.batches[0]), fp.predict(ctx.batches[0])))).dataSync()[0]);
      return ctx.quantized;
    },
  };
}

const notes = (lines: string[]): DefenseProgress => ({ stage: () => undefined, step: () => undefined, stageDone: () => undefined, note: (l) => lines.push(l) });

describe('equalize (augmentation)', () => {
  it('hands the defense an equalized model with the same function, and says what it scaled', async () => {
    const seen: Seen = {};
    const engine = await Engine.create([academicW8a8, equalizeModule, defenseModule('recorder', 'test', recorder(seen))]);
    const lines: string[] = [];
    const outcome = await purify({ engine, model: fp, quantizer: 'academic-w8a8', defense: 'recorder', augmentations: ['equalize'], data, progress: notes(lines), baselineWorker: false });
    expect(seen.fp).toBeDefined();
    expect(seen.fp).not.toBe(fp);
    expect(seen.diff).toBe(0);
    expect(seen.gamma).toBeLessThan(fp.node('stage1_block1_bn1').params['gamma'].dataSync()[3] / 8);
    expect(lines).toEqual([expect.stringMatching(/^equalize: stage1_block1_relu1 channel 3 \(max .*\) divided by \d+ in stage1_block1_bn1, multiplied back in stage1_block1_conv2$/)]);
    outcome.dispose();
  });

  it('composes with LAC: the run quantizes and corrects the equalized model', async () => {
    const engine = await Engine.create([academicW8a8, equalizeModule, lacModule]);
    const before = tf.memory().numTensors;
    const outcome = await purify({
      engine, model: fp, quantizer: 'academic-w8a8', defense: 'lac', augmentations: ['equalize'], data, baselineWorker: false,
      options: { iterations: 4, evalEvery: 2, patience: 0, 'equalize.headroom': 8 },
    });
    // LAC's result is the equalized model on the academic grid: the outlier's BN carries the 1/factor.
    const gamma = (m: GraphModel): number => m.node('stage1_block1_bn1').params['gamma'].dataSync()[3];
    expect(gamma(outcome.purified.model)).toBeLessThan(gamma(fp) / 8);
    outcome.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is applied only to the runs that select it, and rejects a bad option before any work', async () => {
    const engine = await Engine.create([equalizeModule]);
    expect(engine.registry().augmentations).toEqual(['equalize']);
    const idle = startDefenseRun(engine, { defense: 'test', augmentations: [], preset: 'fast', options: {}, seed: 0 });
    expect(idle.hooks.model.prepare.taps).toHaveLength(0);
    const selected = startDefenseRun(engine, { defense: 'test', augmentations: ['equalize'], preset: 'fast', options: {}, seed: 0 });
    expect(selected.hooks.model.prepare.taps.map((t) => t.name)).toEqual(['equalize']);
    expect(() => startDefenseRun(engine, { defense: 'test', augmentations: ['equalize'], preset: 'fast', options: { 'equalize.headroom': '0' }, seed: 0 }))
      .toThrow(/--option equalize.headroom must be a number of at least 1, got "0"/);
  });
});
