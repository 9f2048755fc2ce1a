// Checks the on-disk format against TF.js itself (tfjs-core decodeWeights, tfjs-layers loading).
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject } from './json.js';
import { readModelFolder } from './read-model-folder.js';
import type { NamedWeight } from './types.js';
import { writeModelFolder } from './write-model-folder.js';

let dir: string;

beforeAll(async () => {
  tf.env().set('IS_TEST', true); // silences the "install tfjs-node" banner
  await tf.setBackend('cpu');
});
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'qcb-tfjs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function buildModel(): tfl.LayersModel {
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, activation: 'relu' }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 4 }));
  return model;
}

async function saveArtifacts(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return saved!;
}

function toUint8(data: tf.io.WeightData): Uint8Array {
  return new Uint8Array(tf.io.concatenateArrayBuffers(Array.isArray(data) ? data : [data]));
}

describe('TF.js compatibility', () => {
  it('reads a folder laid out like TF.js saves it', async () => {
    const model = buildModel();
    const artifacts = await saveArtifacts(model);
    await writeFile(path.join(dir, 'weights.bin'), toUint8(artifacts.weightData!));
    await writeFile(path.join(dir, 'model.json'), JSON.stringify({
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    }));
    const folder = await readModelFolder(dir);
    const expected = model.weights.map((w) => ({ name: w.originalName, values: w.read().dataSync() }));
    expect([...folder.weights.keys()]).toEqual(expected.map((e) => e.name));
    for (const e of expected) expect(folder.weights.get(e.name)!.values).toEqual(e.values);
  });

  it('writes a folder TF.js loads and runs identically', async () => {
    const model = buildModel();
    const artifacts = await saveArtifacts(model);
    const weights: NamedWeight[] = model.weights.map((w) => ({
      name: w.originalName, shape: w.shape as number[], dtype: 'float32', values: w.read().dataSync() as Float32Array,
    }));
    await writeModelFolder(dir, { modelJson: { modelTopology: artifacts.modelTopology as JsonObject, weightsManifest: [] }, weights }, { shardBytes: 100 });

    const modelJson = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    const shards = await Promise.all(modelJson.weightsManifest[0].paths.map((p) => readFile(path.join(dir, p))));
    const data = new Uint8Array(Buffer.concat(shards)).buffer;
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory({
      modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest[0].weights, weightData: data,
    }));
    const x = tf.randomUniform([2, 6, 6, 2], -1, 1, 'float32', 7);
    expect((loaded.predict(x) as tf.Tensor).dataSync()).toEqual((model.predict(x) as tf.Tensor).dataSync());
  });

  it('decodes quantized weights exactly like tfjs-core decodeWeights', async () => {
    const specs: tf.io.WeightsManifestEntry[] = [
      { name: 'a', shape: [5], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.0123, min: -1.7 } },
      { name: 'b', shape: [2, 3], dtype: 'float32', quantization: { dtype: 'uint16', scale: 3.1e-5, min: 0.25 } },
      { name: 'c', shape: [64], dtype: 'float32', quantization: { dtype: 'float16' } },
      { name: 'd', shape: [3], dtype: 'int32', quantization: { dtype: 'uint8', scale: 0.7, min: -3 } },
    ];
    const halves = Uint16Array.from({ length: 64 }, (_, i) => (i * 977) & 0x7bff);
    const bytes = new Uint8Array([
      3, 0, 255, 128, 77,
      ...new Uint8Array(new Uint16Array([0, 1, 65535, 300, 40000, 7]).buffer),
      ...new Uint8Array(halves.buffer),
      0, 9, 200,
    ]);
    await writeFile(path.join(dir, 'q.bin'), bytes);
    await writeFile(path.join(dir, 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['q.bin'], weights: specs }] }));
    const ours = (await readModelFolder(dir)).weights;
    const theirs = tf.io.decodeWeights(bytes.slice().buffer, specs);
    for (const s of specs) {
      expect(ours.get(s.name)!.values).toEqual(theirs[s.name].dataSync());
    }
  });
});
