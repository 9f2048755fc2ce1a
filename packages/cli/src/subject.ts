import { resolve } from 'node:path';
import {
  QcbError, loadDataset, loadModel, readQuantized, type Dataset, type Engine, type GraphModel, type Normalization, type QcbSidecar, type QuantizedModel,
} from '@qcb/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { Parsed } from './options.js';
import { requireString } from './options.js';
import { batchOption } from './numbers.js';
import { quantizeWithProfile } from './quantize-on-the-fly.js';

/** --model's folder with its dataset (--data, else qcb.json's, else fashion-mnist); nothing quantized yet. */
export interface ModelWithData {
  readonly dir: string;
  readonly model: GraphModel;
  readonly sidecar: QcbSidecar | null;
  readonly data: Dataset;
  readonly dataName: string;
  readonly normalization: Normalization;
}

/** Loads --model through the safe loader and its dataset; the caller disposes the model. */
export async function loadModelWithData(args: Parsed, cwd: string): Promise<ModelWithData> {
  const dir = resolve(cwd, requireString(args, 'model'));
  const { model, sidecar } = await loadModel(dir);
  try {
    const dataName = (args.values['data'] as string | undefined) ?? sidecar?.dataset ?? 'fashion-mnist';
    const data = await loadDataset(dataName, { dataDir: args.values['data-dir'] as string | undefined });
    if (model.inputShape.join('x') !== data.test.shape.join('x')) {
      throw new QcbError('E_USAGE', `the model takes ${model.inputShape.join('x')} inputs but ${dataName} has ${data.test.shape.join('x')} images`);
    }
    return { dir, model, sidecar, data, dataName, normalization: sidecar?.normalization ?? data.normalization };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** A model under test with its data: what evaluate and quantize start from. */
export interface Subject extends ModelWithData {
  /** The quantized model: from the folder's quant.json, or made with --quantizer. */
  readonly quantized: QuantizedModel | null;
  forward(x: tf.Tensor4D): tf.Tensor;
  dispose(): void;
}

/**
 * Loads --model and its dataset, quantizing with --quantizer, calibrated on the defender's
 * share of the training set (`calibrationShare`).
 */
export async function loadSubject(args: Parsed, engine: Engine, cwd: string, calibrationShare?: number): Promise<Subject> {
  const quantizer = args.values['quantizer'] as string | undefined;
  const { dir, model, sidecar, data, dataName, normalization } = await loadModelWithData(args, cwd);
  const models: GraphModel[] = [model];
  try {
    let quantized = await readQuantized(dir, model);
    if (quantized && quantizer) {
      throw new QcbError('E_USAGE', `${dir} is already quantized (${quantized.parts.profile}); drop --quantizer or pass the full-precision model`);
    }
    if (!quantized && quantizer) {
      quantized = await quantizeWithProfile(engine, model, quantizer, data, normalization, calibrationShare, batchOption(args));
      if (quantized.model !== model) models.push(quantized.model);
    }
    const q = quantized;
    return {
      dir, model, sidecar, data, dataName, normalization, quantized: q,
      forward: q ? (x) => q.predict(x) : (x) => model.predict(x),
      dispose: () => models.forEach((m) => m.dispose()),
    };
  } catch (e) {
    models.forEach((m) => m.dispose());
    throw e;
  }
}
