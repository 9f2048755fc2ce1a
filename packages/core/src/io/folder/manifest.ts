import { QcbError } from '../../errors.js';
import { isJsonObject, isPlainObject } from './json.js';
import { relativePathProblem } from './safe-path.js';
import type {
  LayersModelJson,
  WeightManifestEntry,
  WeightManifestGroup,
  WeightQuantization,
} from './types.js';

const OPTIONAL_OBJECT_FIELDS = ['trainingConfig', 'signature', 'userDefinedMetadata', 'modelInitializer'] as const;

function fail(file: string, message: string, hint?: string): never {
  throw new QcbError('E_MODEL_JSON', `${file}: ${message}`, hint === undefined ? {} : { hint });
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return typeof value;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function isValidShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
}

function parseQuantization(raw: unknown, where: string, dtype: string, file: string): WeightQuantization {
  if (!isPlainObject(raw)) fail(file, `${where}.quantization must be an object`);
  const qd = raw.dtype;
  if (qd === 'float16') {
    if (dtype !== 'float32') fail(file, `${where}: float16 quantization needs dtype float32, got '${dtype}'`);
    return { dtype: 'float16' };
  }
  if (qd === 'uint8' || qd === 'uint16') {
    const { scale, min } = raw;
    if (typeof scale !== 'number' || !Number.isFinite(scale)) fail(file, `${where}.quantization.scale must be a finite number`);
    if (typeof min !== 'number' || !Number.isFinite(min)) fail(file, `${where}.quantization.min must be a finite number`);
    return { dtype: qd, scale, min };
  }
  fail(file, `${where}: unsupported quantization dtype ${describe(qd)}`, 'supported: uint8, uint16, float16');
}

function parseEntry(raw: unknown, where: string, file: string): WeightManifestEntry {
  if (!isPlainObject(raw)) fail(file, `${where} must be an object`);
  const { name, shape, dtype } = raw;
  if (typeof name !== 'string' || name.length === 0) fail(file, `${where}.name must be a non-empty string`);
  const label = `${where} ('${name}')`;
  if (!isValidShape(shape)) {
    fail(file, `${label}: shape must be an array of non-negative integers, got ${describe(shape)}`);
  }
  if (dtype !== 'float32' && dtype !== 'int32') {
    fail(file, `${label}: unsupported dtype ${describe(dtype)}`, 'supported dtypes: float32, int32');
  }
  const entry: WeightManifestEntry = { name, shape: [...shape], dtype };
  if (raw.quantization !== undefined) entry.quantization = parseQuantization(raw.quantization, label, dtype, file);
  return entry;
}

function parseGroup(raw: unknown, where: string, file: string): WeightManifestGroup {
  if (!isPlainObject(raw)) fail(file, `${where} must be an object`);
  const { paths, weights } = raw;
  if (!Array.isArray(paths)) fail(file, `${where}.paths must be an array of file names`);
  if (!Array.isArray(weights)) fail(file, `${where}.weights must be an array`);
  paths.forEach((p, i) => {
    const problem = relativePathProblem(p);
    if (problem !== null) {
      throw new QcbError('E_WEIGHT_PATH', `${file}: ${where}.paths[${i}] ${describe(p)} ${problem}`, {
        hint: 'weight paths must be plain relative names inside the model folder',
      });
    }
  });
  return {
    paths: [...(paths as string[])],
    weights: weights.map((w, i) => parseEntry(w, `${where}.weights[${i}]`, file)),
  };
}

/** Validates parsed model.json content. `file` names the file in error messages. */
export function parseLayersModelJson(json: unknown, file: string): LayersModelJson {
  if (!isPlainObject(json)) fail(file, 'must contain a JSON object');
  if (json.format !== undefined && json.format !== 'layers-model') {
    fail(file, `format is ${describe(json.format)}, not 'layers-model'`, 'only TF.js layers models are supported');
  }
  if (!isJsonObject(json.modelTopology)) {
    fail(file, 'modelTopology is missing or not an object (not a TF.js layers model)');
  }
  if (!Array.isArray(json.weightsManifest)) fail(file, 'weightsManifest is missing or not an array');
  const weightsManifest = json.weightsManifest.map((g, i) => parseGroup(g, `weightsManifest[${i}]`, file));

  const seen = new Set<string>();
  for (const group of weightsManifest) {
    for (const w of group.weights) {
      if (seen.has(w.name)) fail(file, `duplicate weight name '${w.name}' in weightsManifest`);
      seen.add(w.name);
    }
  }

  const model: LayersModelJson = { modelTopology: json.modelTopology, weightsManifest };
  for (const key of ['format', 'generatedBy'] as const) {
    const v = json[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') fail(file, `${key} must be a string`);
    model[key] = v;
  }
  if (json.convertedBy !== undefined) {
    if (json.convertedBy !== null && typeof json.convertedBy !== 'string') fail(file, 'convertedBy must be a string or null');
    model.convertedBy = json.convertedBy;
  }
  for (const key of OPTIONAL_OBJECT_FIELDS) {
    const v = json[key];
    if (v === undefined) continue;
    if (!isJsonObject(v)) fail(file, `${key} must be a JSON object`);
    model[key] = v;
  }
  return model;
}
