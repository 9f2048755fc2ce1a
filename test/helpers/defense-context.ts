import {
  BUILTIN_MODULES, Engine, prepareDefense, quantizeModel, syntheticDataset, trainClassifier, defenderBatches,
  type DefenseContext, type DefenseProgress, type GraphModel, type JsonObject, type Preset, type QuantizerProfile,
} from '@qcb/core';
import * as tf from '@tensorflow/tfjs-core';
import { resnetSmall } from '@qcb/models';
import type { ContainerModule } from 'inversify';
import { ACADEMIC_W4A4 } from '@qcb/quantizer-academic-w4a4';

/** The paper's academic W4A4 profile. */
export const TEST_W4A4: QuantizerProfile = ACADEMIC_W4A4;

/**
 * A tiny trained model on synthetic data, its W4A4 quantization and the defense context the
 * purification runner would build over them (`prepareDefense`), for tests that run a defense
 * directly and tap its hooks.
 */
export async function tinyDefenseContext(o: {
  modules?: ContainerModule[]; augmentations?: string[]; preset?: Preset; options?: JsonObject; profile?: QuantizerProfile;
  /** The model to train on the 8x8x1, 4-class data; default a tiny resnet-small. */
  model?: () => GraphModel;
  progress?: DefenseProgress;
} = {}): Promise<{ ctx: DefenseContext; fp: GraphModel; dispose(): void }> {
  const data = syntheticDataset({ classes: 4, shape: [8, 8, 1], trainCount: 512, testCount: 64, seed: 3 });
  const fp = o.model ? o.model() : resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8], seed: 11 });
  // On one thread whatever the test's --threads: the same model for every thread count.
  await trainClassifier(fp, data, { epochs: 4, batchSize: 32, optimizer: { type: 'sgd', momentum: 0.9 }, schedule: { type: 'cosine', lr: 0.05 }, seed: 1 }, { threads: 1 });
  const engine = await Engine.create([...BUILTIN_MODULES, ...(o.modules ?? [])]);
  const profile = o.profile ?? TEST_W4A4;
  const calibration = defenderBatches(data.train, data.normalization, { share: 0.5, samples: 128, batchSize: 64 });
  const quantized = await quantizeModel(fp, profile, calibration);
  const prepared = await prepareDefense({
    engine, fp, quantized, profile, calibration, defense: 'test', train: data.train, normalization: data.normalization,
    share: 0.5, samples: 128, batchSize: 64,
    augmentations: o.augmentations ?? [], preset: o.preset ?? 'fast', options: o.options ?? {}, seed: 0,
    ...(o.progress ? { progress: o.progress } : {}),
  });
  tf.dispose(calibration);
  return { ctx: prepared.ctx, fp, dispose: () => { prepared.dispose(); prepared.made.forEach((m) => m.dispose()); fp.dispose(); } };
}
