import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, isComputeNode, quantizeModel, weightParamOf, type GraphModel, type UnitReport } from '@qcb/core';
import { lac } from '@qcb/defense-lac';
import pdaModule from '@qcb/pda';
import { mobilenetV2, vit } from '@qcb/models';
import { ACADEMIC_W4A4 } from '@qcb/quantizer-academic-w4a4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tinyDefenseContext } from '../helpers/defense-context.js';

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'qcb-mobilenet-vit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const TINY: ReadonlyArray<readonly [string, () => GraphModel]> = [
  ['vit', () => vit({ inputShape: [16, 16, 1], dim: 16, depth: 2, heads: 2, classes: 4 })],
  ['mobilenet-v2', () => mobilenetV2({ inputShape: [16, 16, 1], width: 0.35, classes: 4 })],
];

/** Distinct values per output channel (the last axis) of a channels-last weight. */
function levelsPerChannel(w: tf.Tensor): number[] {
  const values = w.dataSync();
  const channels = w.shape[w.rank - 1];
  return Array.from({ length: channels }, (_, c) => new Set(values.filter((_, i) => i % channels === c)).size);
}

describe('academic-w4a4 on mobilenet-v2 and vit', () => {
  for (const [name, build] of TINY) {
    it(`quantizes every conv/dense of a tiny ${name} (weights and inputs), leaves other parameters alone, and leaks no tensor`, async () => {
      const model = build();
      const calibration = [0, 1].map((i) => tf.randomNormal([8, 16, 16, 1], 0, 1, 'float32', 20 + i) as tf.Tensor4D);
      const before = tf.memory().numTensors;
      const q = await quantizeModel(model, ACADEMIC_W4A4, calibration);
      const compute = model.graph.nodes.filter(isComputeNode).map((n) => n.name);
      expect([...q.parts.weights.keys()]).toEqual(compute);
      expect([...q.parts.activations.keys()]).toEqual(compute);
      expect(q.parts.weights.get(compute[1])!.bits).toBe(4);
      expect(q.parts.weights.get(compute[compute.length - 1])!.bits).toBe(8);
      const baked = q.bake();
      const inner = name === 'vit' ? 'block0_qkv' : 'block1_expand';
      const node = baked.model.node(inner);
      for (const n of levelsPerChannel(node.params[weightParamOf(node)!])) expect(n).toBeLessThanOrEqual(16);
      if (name === 'vit') {
        expect(Array.from(baked.model.node('position_embedding').params['embeddings'].dataSync())).toEqual(Array.from(model.node('position_embedding').params['embeddings'].dataSync()));
      }
      tf.tidy(() => {
        const x = tf.randomNormal([4, 16, 16, 1], 0, 1, 'float32', 9);
        const fp = model.predict(x);
        const quantized = q.predict(x);
        expect(quantized.shape).toEqual([4, 4]);
        expect(tf.all(tf.isFinite(quantized)).dataSync()[0]).toBe(1);
        expect(tf.max(tf.abs(tf.sub(fp, quantized))).dataSync()[0]).toBeGreaterThan(0);
        expect(tf.max(tf.abs(tf.sub(baked.predict(x), quantized))).dataSync()[0]).toBeLessThan(1e-4);
      });
      baked.model.dispose();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(calibration);
      model.dispose();
    });
  }
});

describe('LAC (+ PDA) on a vit', () => {
  it('corrects every unit, the q/k/v + attention units against the attention output; PDA says it has no BN to match', async () => {
    const notes: string[] = [];
    const { ctx, dispose } = await tinyDefenseContext({
      model: () => vit({ inputShape: [8, 8, 1], patchSize: 4, dim: 8, depth: 1, heads: 2, classes: 4, seed: 5 }),
      modules: [pdaModule], augmentations: ['pda'],
      options: { iterations: 3, evalEvery: 3, patience: 0 },
      progress: { stage: () => undefined, step: () => undefined, stageDone: () => undefined, note: (line) => notes.push(line) },
    });
    const reports = new Map<string, UnitReport>();
    ctx.hooks.calibration.unitDone.tapPromise('test', async (uctx, report) => void reports.set(uctx.unit.head, report));
    const purified = await lac.run(ctx);
    expect([...reports.keys()]).toEqual(['patch_embed', 'block0_qkv', 'block0_proj', 'block0_fc1', 'block0_fc2', 'logits']);
    expect(notes.filter((n) => n.startsWith('pda:'))).toEqual(['pda: 6 of 6 units have no BatchNorm to match (the model has no BatchNorm); their cached inputs are used as they are']);
    for (const r of reports.values()) expect(r.finalLoss!).toBeLessThanOrEqual(r.initialLoss!);
    tf.tidy(() => {
      expect(tf.all(tf.isFinite(purified.predict(tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 4)))).dataSync()[0]).toBe(1);
    });
    if ('parts' in purified) purified.model.dispose();
    dispose();
  });
});

describe('qcb train --arch mobilenet-v2 and vit', () => {
  for (const [arch, width, units] of [['mobilenet-v2', '0.35', 53], ['vit', '0.5', 18]] as const) {
    it(`trains a ${arch} with --width ${width} at the dataset's input size; inspect and evaluate read it`, async () => {
      const out = join(dir, arch);
      const r = await runCli(['train', '--arch', arch, '--width', width, '--data', 'synthetic', '--epochs', '1', '--batch-size', '64', '--augment', 'none', '--out', out]);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`training ${arch} \\([\\d,]+ parameters\\) on synthetic`));
      const training = JSON.parse(await readFile(join(out, 'training.json'), 'utf8')) as { settings: Record<string, unknown> };
      expect(training.settings).toMatchObject({ arch, width: Number(width) });
      const inspect = await runCli(['inspect', '--model', out, '--json']);
      expect(inspect.code).toBe(0);
      const report = JSON.parse(inspect.stdout) as { inputShape: number[]; units: unknown[] };
      expect(report.inputShape).toEqual([8, 8, 1]);
      expect(report.units).toHaveLength(units);
      const evaluated = await runCli(['evaluate', '--model', out, '--quantizer', 'academic-w4a4', '--json']);
      expect(evaluated.code).toBe(0);
      expect((JSON.parse(evaluated.stdout) as { n: number }).n).toBe(64);
    });
  }
});
