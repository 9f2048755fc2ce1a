import * as tf from '@tensorflow/tfjs-core';
import { QcbError, isQcbError } from '../errors.js';
import { GraphModel } from '../ir/graph-model.js';
import { readModelFolder, writeModelFolder, type QcbSidecar } from './folder/index.js';
import { graphToLayersModel } from './layers/export.js';
import { graphFromLayersModel } from './layers/import.js';

export interface LoadedModel {
  readonly model: GraphModel;
  readonly sidecar: QcbSidecar | null;
  readonly dir: string;
}

/** Runs the model once on zeros so that inconsistent weight shapes fail at load time. */
function dryRun(model: GraphModel): void {
  try {
    tf.tidy(() => {
      const out = model.predict(tf.zeros([1, ...model.inputShape]));
      const bad = tf.any(tf.logicalNot(tf.isFinite(out))).dataSync()[0];
      if (bad) throw new QcbError('E_WEIGHT_VALUE', 'the model produces non-finite outputs on a zero input');
    });
  } catch (e) {
    if (isQcbError(e)) throw e;
    throw new QcbError('E_MODEL_JSON', `model does not run: ${(e as Error).message}`);
  }
}

/**
 * Loads a model folder through the safe reader (paths, sizes, values, sidecar checked)
 * and builds its graph IR.
 */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const folder = await readModelFolder(dir);
  const model = new GraphModel(graphFromLayersModel(folder.modelJson, folder.weights));
  try {
    dryRun(model);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, sidecar: folder.sidecar, dir: folder.dir };
}

export interface SaveModelOptions {
  readonly sidecar?: QcbSidecar | null;
  readonly extraFiles?: Record<string, string | Uint8Array>;
}

/** Writes the model as a layers-format folder, atomically. */
export async function saveModel(dir: string, model: GraphModel, options: SaveModelOptions = {}): Promise<void> {
  const { modelJson, weights } = await graphToLayersModel(model.graph);
  await writeModelFolder(dir, { modelJson, weights, sidecar: options.sidecar ?? null, extraFiles: options.extraFiles });
}
