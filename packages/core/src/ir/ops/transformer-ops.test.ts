import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { graphToLayersModel } from '../../io/layers/export.js';
import { graphFromLayersModel } from '../../io/layers/import.js';
import type { NamedWeight } from '../../io/folder/types.js';
import { GraphModel } from '../graph-model.js';
import { tinyTransformerModel } from '../testing/tiny-transformer.js';
import { qkvAttention } from './qkv-attention.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Attention written out with loops: per sample and head, softmax(q k^T / sqrt(k)) v. */
function referenceAttention(x: number[][][], heads: number): number[][][] {
  const d = x[0][0].length / 3;
  const k = d / heads;
  return x.map((tokens) => {
    const out = tokens.map(() => new Array<number>(d).fill(0));
    for (let h = 0; h < heads; h++) {
      const slice = (t: number[], part: number): number[] => t.slice(part * d + h * k, part * d + (h + 1) * k);
      for (let i = 0; i < tokens.length; i++) {
        const q = slice(tokens[i], 0);
        const scores = tokens.map((t) => slice(t, 1).reduce((s, v, j) => s + v * q[j], 0) / Math.sqrt(k));
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const sum = e.reduce((a, b) => a + b, 0);
        tokens.forEach((t, j) => slice(t, 2).forEach((v, c) => (out[i][h * k + c] += (e[j] / sum) * v)));
      }
    }
    return out;
  });
}

describe('qkvAttention', () => {
  it('is multi-head scaled dot-product attention on a fused q/k/v axis', () => {
    const x = tf.randomNormal([2, 5, 12], 0, 1, 'float32', 3);
    const expected = referenceAttention(x.arraySync() as number[][][], 2);
    const actual = tf.tidy(() => qkvAttention(x, 2));
    expect(actual.shape).toEqual([2, 5, 4]);
    const got = actual.arraySync() as number[][][];
    got.flat(2).forEach((v, i) => expect(v).toBeCloseTo(expected.flat(2)[i], 5));
    tf.dispose([x, actual]);
  });

  it('refuses an axis that does not split into 3 x heads', () => {
    tf.tidy(() => {
      expect(() => qkvAttention(tf.zeros([1, 3, 12]), 4)).not.toThrow();
      expect(() => qkvAttention(tf.zeros([1, 3, 12]), 3)).toThrow(/attention with 3 heads needs \[batch, tokens, 3 x heads x k\] inputs, got \[1, 3, 12\]/);
    });
  });
});

describe('transformer ops in a graph', () => {
  it('normalise each token (LayerNormalization), add the position table and apply exact GELU', () => {
    const model = tinyTransformerModel();
    tf.tidy(() => {
      const x = tf.randomNormal([3, 8, 8, 1], 0, 1, 'float32', 5);
      const [tokens, pos, ln1, fc1, gelu] = model.outputsOf(x, ['tokens', 'pos', 'ln1', 'fc1', 'gelu']);
      expect(tokens.shape).toEqual([3, 4, 8]);
      const table = model.node('pos').params['embeddings'];
      expect(tf.max(tf.abs(tf.sub(pos, tf.add(tokens, table)))).dataSync()[0]).toBeLessThan(1e-6);
      const { mean, variance } = tf.moments(ln1, -1);
      expect(tf.max(tf.abs(mean)).dataSync()[0]).toBeLessThan(1e-5);
      expect(tf.max(tf.abs(tf.sub(variance, 1))).dataSync()[0]).toBeLessThan(1e-3);
      const erf = (v: number): number => {
        // Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7)
        const t = 1 / (1 + 0.3275911 * Math.abs(v));
        const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-v * v);
        return v >= 0 ? y : -y;
      };
      const f = fc1.dataSync();
      const g = gelu.dataSync();
      f.forEach((v, i) => expect(g[i]).toBeCloseTo(0.5 * v * (1 + erf(v / Math.SQRT2)), 5));
    });
    model.dispose();
  });

  it('forms units for the fused q/k/v dense with its attention, the projection and each MLP dense', () => {
    const model = tinyTransformerModel();
    expect(model.units().map((u) => ({ head: u.head, nodes: u.nodes, input: u.input }))).toEqual([
      { head: 'patch', nodes: ['patch', 'tokens', 'pos'], input: 'input' },
      { head: 'qkv', nodes: ['qkv', 'attention'], input: 'ln1' },
      { head: 'proj', nodes: ['proj'], input: 'attention' },
      { head: 'fc1', nodes: ['fc1', 'gelu'], input: 'ln2' },
      { head: 'fc2', nodes: ['fc2'], input: 'gelu' },
      { head: 'logits', nodes: ['logits'], input: 'gap' },
    ]);
    model.dispose();
  });

  it('lets gradients reach every weight through the attention', () => {
    const model = tinyTransformerModel();
    const vars = model.variables();
    tf.tidy(() => {
      const x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 6);
      const { grads } = tf.variableGrads(() => tf.mean(tf.square(model.predict(x, { training: true }))) as tf.Scalar, vars);
      for (const v of vars) expect(tf.max(tf.abs(grads[v.name])).dataSync()[0]).toBeGreaterThan(0);
    });
    model.dispose();
  });

  it('exports to Keras layer classes and imports back to the same outputs', async () => {
    const model = tinyTransformerModel();
    const { modelJson, weights } = await graphToLayersModel(model.graph);
    const layers = (modelJson.modelTopology['config'] as { layers: Array<{ class_name: string; name: string; config: Record<string, unknown> }> }).layers;
    const byName = new Map(layers.map((l) => [l.name, l]));
    expect(byName.get('attention')!.class_name).toBe('QkvAttention');
    expect(byName.get('attention')!.config['num_heads']).toBe(2);
    expect(byName.get('pos')!.class_name).toBe('AddPositionEmbedding');
    expect(byName.get('ln1')!.class_name).toBe('LayerNormalization');
    expect(byName.get('tokens')!.config['target_shape']).toEqual([4, 8]);
    expect(byName.get('gap')!.class_name).toBe('GlobalAveragePooling1D');
    expect(byName.get('gelu')!.config['activation']).toBe('gelu');
    expect(weights.map((w) => w.name)).toContain('pos/embeddings');

    const imported = new GraphModel(graphFromLayersModel(modelJson, new Map<string, NamedWeight>(weights.map((w) => [w.name, w]))));
    expect(imported.graph.nodes.map((n) => n.op)).toEqual(model.graph.nodes.map((n) => n.op));
    tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 7);
      expect(tf.max(tf.abs(tf.sub(model.predict(x), imported.predict(x)))).dataSync()[0]).toBe(0);
    });
    model.dispose();
    imported.dispose();
  });

  it('names the layer when a stored model does not fit together', async () => {
    const model = tinyTransformerModel();
    const { modelJson, weights } = await graphToLayersModel(model.graph);
    const layers = (modelJson.modelTopology['config'] as { layers: Array<{ name: string; config: Record<string, unknown> }> }).layers;
    layers.find((l) => l.name === 'attention')!.config['num_heads'] = 5;
    const byName = new Map<string, NamedWeight>(weights.map((w) => [w.name, w]));
    const badHeads = new GraphModel(graphFromLayersModel(modelJson, byName));
    expect(() => tf.tidy(() => badHeads.predict(tf.zeros([1, 8, 8, 1])))).toThrow(/layer "attention" \(QkvAttention, 5 heads\) needs \[batch, tokens, 3 x 5 x k\] inputs, got \[1, 4, 24\]/);
    badHeads.dispose();
    layers.find((l) => l.name === 'attention')!.config['num_heads'] = 2;
    const table = byName.get('pos/embeddings')!;
    byName.set('pos/embeddings', { ...table, shape: [8, 4] });
    const badTable = new GraphModel(graphFromLayersModel(modelJson, byName));
    expect(() => tf.tidy(() => badTable.predict(tf.zeros([1, 8, 8, 1])))).toThrow(/layer "pos" \(AddPositionEmbedding\): its embeddings \[8, 4\] do not match the tokens \[4, 8\]/);
    badTable.dispose();
    model.dispose();
  });

  it('leaks no tensor over repeated runs', () => {
    const model = tinyTransformerModel();
    const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 8);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) tf.tidy(() => model.predict(x, { training: i % 2 === 0 }).dataSync());
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});
