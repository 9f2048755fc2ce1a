import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Saves a tfjs-layers model as a model folder (model.json + one shard), as tfjs-node would. */
export async function saveLayersModel(model: tfl.LayersModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData as ArrayBuffer;
      await writeFile(join(dir, 'weights.bin'), new Uint8Array(data));
      const json = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      await writeFile(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/** Loads a model folder into tfjs-layers (all shards concatenated in manifest order). */
export async function loadLayersModel(dir: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as {
    modelTopology: object;
    weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  };
  const buffers: Uint8Array[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) buffers.push(new Uint8Array(await readFile(join(dir, p))));
    specs.push(...group.weights);
  }
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const all = new Uint8Array(total);
  let off = 0;
  for (const b of buffers) {
    all.set(b, off);
    off += b.byteLength;
  }
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: all.buffer }));
}

/** A small functional ResNet-style model covering the supported layer classes. */
export function buildResNetStyleModel(seed = 7): tfl.LayersModel {
  const init = (s: number) => tfl.initializers.heNormal({ seed: seed + s });
  const input = tfl.input({ shape: [12, 12, 3], name: 'image' });
  const rescaled = tfl.layers.rescaling({ scale: 1 / 2, offset: -0.25, name: 'rescale' }).apply(input) as tfl.SymbolicTensor;
  const stem = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: init(1), name: 'stem' }).apply(rescaled) as tfl.SymbolicTensor;
  const bn0 = tfl.layers.batchNormalization({ name: 'stem_bn' }).apply(stem) as tfl.SymbolicTensor;
  const r0 = tfl.layers.reLU({ name: 'stem_relu' }).apply(bn0) as tfl.SymbolicTensor;
  const c1 = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(2), name: 'block_conv1' }).apply(r0) as tfl.SymbolicTensor;
  const b1 = tfl.layers.batchNormalization({ name: 'block_bn1' }).apply(c1) as tfl.SymbolicTensor;
  const a1 = tfl.layers.activation({ activation: 'relu6', name: 'block_relu6' }).apply(b1) as tfl.SymbolicTensor;
  const c2 = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthwiseInitializer: init(3), name: 'block_dw' }).apply(a1) as tfl.SymbolicTensor;
  const b2 = tfl.layers.batchNormalization({ name: 'block_bn2' }).apply(c2) as tfl.SymbolicTensor;
  const sum = tfl.layers.add({ name: 'block_add' }).apply([b2, r0]) as tfl.SymbolicTensor;
  const r1 = tfl.layers.activation({ activation: 'relu', name: 'block_relu' }).apply(sum) as tfl.SymbolicTensor;
  const pool = tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(r1) as tfl.SymbolicTensor;
  const pad = tfl.layers.zeroPadding2d({ padding: [[1, 0], [0, 1]], name: 'pad' }).apply(pool) as tfl.SymbolicTensor;
  const c3 = tfl.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu', kernelInitializer: init(4), name: 'down' }).apply(pad) as tfl.SymbolicTensor;
  const avg = tfl.layers.averagePooling2d({ poolSize: 1, name: 'avg' }).apply(c3) as tfl.SymbolicTensor;
  const gap = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(avg) as tfl.SymbolicTensor;
  const drop = tfl.layers.dropout({ rate: 0.3, name: 'drop' }).apply(gap) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 5, kernelInitializer: init(5), name: 'logits' }).apply(drop) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out, name: 'resnet_style' });
  // Non-trivial BN statistics so that inference-mode BN matters.
  let s = seed * 100;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const [gamma, beta, mean, variance] = layer.getWeights();
    layer.setWeights([
      tf.randomUniform(gamma.shape, 0.5, 1.5, 'float32', s++),
      tf.randomUniform(beta.shape, -0.2, 0.2, 'float32', s++),
      tf.randomUniform(mean.shape, -0.3, 0.3, 'float32', s++),
      tf.randomUniform(variance.shape, 0.5, 2, 'float32', s++),
    ]);
  }
  return model;
}

/** A Sequential model with a flatten head. */
export function buildSequentialModel(seed = 3): tfl.Sequential {
  const model = tfl.sequential({ name: 'seq' });
  model.add(tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed }), name: 'c1' }));
  model.add(tfl.layers.batchNormalization({ name: 'bn' }));
  model.add(tfl.layers.flatten({ name: 'flat' }));
  model.add(tfl.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tfl.initializers.heNormal({ seed: seed + 1 }), name: 'out' }));
  return model;
}
