import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, loadModel, saveModel, type GraphModel } from '@qcb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLayersModel, saveLayersModel } from '../../../../test/helpers/tfjs-layers.js';
import { mobilenetV2, vit } from '../index.js';
import { AddPositionEmbeddingLayer, QkvAttentionLayer } from './index.js';

let dir: string;

beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'qcb-models-layers-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** Non-trivial BN running statistics, so that inference-mode BN matters. */
function randomiseBatchNorms(model: GraphModel): void {
  let seed = 40;
  for (const node of model.graph.nodes) {
    if (node.op !== 'batchNorm') continue;
    const c = node.params['movingMean'].shape[0];
    tf.tidy(() => {
      node.params['movingMean'].assign(tf.randomUniform([c], -0.5, 0.5, 'float32', seed++));
      node.params['movingVariance'].assign(tf.randomUniform([c], 0.5, 2, 'float32', seed++));
      node.params['beta'].assign(tf.randomUniform([c], -0.2, 0.2, 'float32', seed++));
    });
  }
}

/**
 * Saves a qcb model, loads the folder into tfjs-layers and back into qcb: tfjs-layers' predict
 * matches the IR executor, and the reloaded IR gives exactly the same outputs and units.
 */
async function roundTrip(model: GraphModel, name: string, x: tf.Tensor): Promise<void> {
  const folder = join(dir, name);
  const before = tf.memory().numTensors;
  await saveModel(folder, model);
  const expected = tf.tidy(() => model.predict(x));
  const layers = await loadLayersModel(folder);
  const viaLayers = layers.predict(x) as tf.Tensor;
  expect(viaLayers.shape).toEqual(expected.shape);
  expect(maxAbsDiff(viaLayers, expected)).toBeLessThan(1e-4);
  layers.dispose();
  tf.dispose(viaLayers);

  const { model: reloaded } = await loadModel(folder);
  const again = tf.tidy(() => reloaded.predict(x));
  expect(maxAbsDiff(again, expected)).toBe(0);
  expect(reloaded.units()).toEqual(model.units());
  expect(reloaded.paramCounts()).toEqual(model.paramCounts());
  reloaded.dispose();
  tf.dispose([expected, again]);
  expect(tf.memory().numTensors).toBe(before);
}

describe('qcb models in the TensorFlow.js layers format', () => {
  it('mobilenet-v2 saves as standard Keras layers (ReLU with max_value 6) that tfjs-layers runs alike, and loads back identically', async () => {
    const model = mobilenetV2({ inputShape: [32, 32, 3], width: 0.35, classes: 4 });
    randomiseBatchNorms(model);
    const x = tf.randomNormal([3, 32, 32, 3], 0, 1, 'float32', 5);
    await roundTrip(model, 'mobilenet', x);
    const json = JSON.parse(await readFile(join(dir, 'mobilenet', 'model.json'), 'utf8')) as { modelTopology: { config: { layers: Array<{ class_name: string; name: string; config: Record<string, unknown> }> } } };
    const classes = new Set(json.modelTopology.config.layers.map((l) => l.class_name));
    expect([...classes].sort()).toEqual(['Add', 'BatchNormalization', 'Conv2D', 'Dense', 'DepthwiseConv2D', 'GlobalAveragePooling2D', 'InputLayer', 'ReLU']);
    expect(json.modelTopology.config.layers.find((l) => l.name === 'stem_relu')!.config['max_value']).toBe(6);
    x.dispose();
    model.dispose();
  });

  it('vit saves with two custom classes (QkvAttention, AddPositionEmbedding) that tfjs-layers runs alike once registered, and loads back identically', async () => {
    const model = vit({ inputShape: [16, 16, 1], dim: 16, depth: 2, heads: 2, classes: 4 });
    const x = tf.randomNormal([3, 16, 16, 1], 0, 1, 'float32', 6);
    await roundTrip(model, 'vit', x);
    x.dispose();
    model.dispose();
  });

  it('reads a ViT built and saved by tfjs-layers with the custom classes', async () => {
    const init = (s: number) => tfl.initializers.glorotNormal({ seed: s });
    const input = tfl.input({ shape: [8, 8, 2], name: 'image' });
    const apply = (layer: tfl.layers.Layer, t: tfl.SymbolicTensor | tfl.SymbolicTensor[]): tfl.SymbolicTensor => layer.apply(t) as tfl.SymbolicTensor;
    let t = apply(tfl.layers.conv2d({ filters: 12, kernelSize: 4, strides: 4, kernelInitializer: init(1), name: 'patches' }), input);
    t = apply(tfl.layers.reshape({ targetShape: [4, 12], name: 'tokens' }), t);
    t = apply(new AddPositionEmbeddingLayer({ name: 'pos' }), t);
    let y = apply(tfl.layers.layerNormalization({ epsilon: 1e-6, name: 'ln' }), t);
    y = apply(tfl.layers.dense({ units: 36, kernelInitializer: init(2), name: 'qkv' }), y);
    y = apply(new QkvAttentionLayer({ numHeads: 3, name: 'attention' }), y);
    y = apply(tfl.layers.dense({ units: 12, kernelInitializer: init(3), name: 'proj' }), y);
    t = apply(tfl.layers.add({ name: 'residual' }), [t, y]);
    t = apply(tfl.layers.dense({ units: 12, activation: 'gelu', kernelInitializer: init(4), name: 'mlp' }), t);
    t = apply(tfl.layers.globalAveragePooling1d({ name: 'pool' }), t);
    const out = apply(tfl.layers.dense({ units: 3, kernelInitializer: init(5), name: 'logits' }), t);
    const original = tfl.model({ inputs: input, outputs: out, name: 'tfjs_vit' });
    await saveLayersModel(original, join(dir, 'tfjs-vit'));
    const { model } = await loadModel(join(dir, 'tfjs-vit'));
    expect(model.units().map((u) => u.nodes)).toEqual([['patches', 'tokens', 'pos'], ['qkv', 'attention'], ['proj'], ['mlp', 'pool'], ['logits']]);
    const x = tf.randomNormal([2, 8, 8, 2], 0, 1, 'float32', 7);
    const expected = original.predict(x) as tf.Tensor;
    const actual = tf.tidy(() => model.predict(x));
    expect(maxAbsDiff(expected, actual)).toBeLessThan(1e-4);
    tf.dispose([x, expected, actual]);
    original.dispose();
    model.dispose();
  });
});
