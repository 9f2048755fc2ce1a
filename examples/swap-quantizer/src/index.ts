import {
  Engine, accuracy, defenderBatches, loadDataset, loadModel, predictClasses, quantizeModel, resolveQuantizer, type Dataset, type GraphModel,
} from '@qcb/core';
import academicW4a4 from '@qcb/quantizer-academic-w4a4';
import academicW8a8 from '@qcb/quantizer-academic-w8a8';
import pytorchFbgemm from '@qcb/quantizer-pytorch-fbgemm';
import pytorchQnnpack from '@qcb/quantizer-pytorch-qnnpack';
import tfliteInt8 from '@qcb/quantizer-tflite-int8';
import * as tf from '@tensorflow/tfjs-core';

export interface ProfileRow {
  readonly profile: string;
  /** Clean test accuracy in percent. */
  readonly ba: number;
}

/** The engine with the five shipped deployment profiles registered through DI. */
export function createProfileEngine(): Promise<Engine> {
  return Engine.create([academicW4a4, academicW8a8, tfliteInt8, pytorchFbgemm, pytorchQnnpack]);
}

/** BA of one model in full precision and under each profile (registered name or uniform: spec). */
export async function compareProfiles(model: GraphModel, data: Dataset, profiles: readonly string[], engine: Engine): Promise<ProfileRow[]> {
  const normalization = data.normalization;
  const ba = (forward: (x: tf.Tensor4D) => tf.Tensor): number => accuracy(predictClasses(forward, data.test, { normalization }), data.test.labels);
  const rows: ProfileRow[] = [{ profile: 'full precision', ba: ba((x) => model.predict(x)) }];
  const calibration = defenderBatches(data.train, normalization);
  try {
    for (const name of profiles) {
      const q = await quantizeModel(model, resolveQuantizer(engine, name), calibration, { hooks: engine.hooks.quantizer });
      rows.push({ profile: name, ba: ba((x) => q.predict(x)) });
      if (q.model !== model) q.model.dispose();
    }
  } finally {
    tf.dispose(calibration);
  }
  return rows;
}

export function formatTable(rows: readonly ProfileRow[]): string {
  const width = Math.max(...rows.map((r) => r.profile.length), 'profile'.length);
  return [`${'profile'.padEnd(width)}  BA`, ...rows.map((r) => `${r.profile.padEnd(width)}  ${r.ba.toFixed(2)}%`)].join('\n');
}

/** Loads a model folder and its dataset (from qcb.json) and prints the table. */
export async function runSwapQuantizer(modelDir: string, profiles: readonly string[], dataDir?: string): Promise<ProfileRow[]> {
  const engine = await createProfileEngine();
  const { model, sidecar } = await loadModel(modelDir);
  try {
    const data = await loadDataset(sidecar?.dataset ?? 'fashion-mnist', { dataDir });
    const withSidecarNorm: Dataset = sidecar?.normalization ? { ...data, normalization: sidecar.normalization } : data;
    return await compareProfiles(model, withSidecarNorm, profiles, engine);
  } finally {
    model.dispose();
  }
}

export const DEFAULT_PROFILES = ['academic-w8a8', 'academic-w4a4', 'tflite-int8', 'pytorch-fbgemm', 'pytorch-qnnpack', 'uniform:w4a8,per-channel,asym,mse'];
