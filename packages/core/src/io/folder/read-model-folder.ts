import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isQcbError, QcbError } from '../../errors.js';
import { allocateStored, countNonFinite, decodeStored, elementCount, storedBytesPerElement } from './decode-weight.js';
import { parseLayersModelJson } from './manifest.js';
import { readJsonFile } from './read-json-file.js';
import { resolveFileInside } from './safe-path.js';
import { ShardStream, type ShardFile } from './shard-stream.js';
import { parseSidecar } from './sidecar.js';
import type { ModelFolder, NamedWeight, WeightManifestGroup } from './types.js';

export interface ReadModelFolderOptions {
  /** Upper bound on the decoded weight bytes (default 2 GiB); checked before anything is read. */
  maxBytes?: number;
}

export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;
const MAX_MODEL_JSON_BYTES = 64 * 1024 ** 2;
const MAX_SIDECAR_BYTES = 1024 ** 2;

async function resolveFolder(absDir: string): Promise<string> {
  try {
    const real = await realpath(absDir);
    if (!(await stat(real)).isDirectory()) throw new QcbError('E_MODEL_MISSING', `${absDir}: is not a directory`);
    return real;
  } catch (e) {
    if (isQcbError(e)) throw e;
    throw new QcbError('E_MODEL_MISSING', `${absDir}: model folder does not exist or cannot be opened`, { cause: e });
  }
}

function checkBudget(groups: WeightManifestGroup[], maxBytes: number, modelFile: string): void {
  let decoded = 0;
  for (const g of groups) for (const w of g.weights) decoded += elementCount(w.shape) * 4;
  if (decoded > maxBytes) {
    throw new QcbError('E_WEIGHT_SIZE', `${modelFile}: weights need ${decoded} bytes once decoded, over the limit of ${maxBytes} bytes`, {
      hint: 'raise the maxBytes option if this model is trusted and this large',
    });
  }
}

async function resolveGroupFiles(realDir: string, group: WeightManifestGroup, where: string): Promise<ShardFile[]> {
  const files: ShardFile[] = [];
  for (const [i, name] of group.paths.entries()) {
    const label = `${where}.paths[${i}] '${name}'`;
    const r = await resolveFileInside(realDir, name);
    if (r.kind === 'missing') throw new QcbError('E_WEIGHT_PATH', `${label} does not exist`);
    if (r.kind === 'outside') throw new QcbError('E_WEIGHT_PATH', `${label} resolves outside the model folder (to ${r.realPath})`);
    if (r.kind === 'not-file') throw new QcbError('E_WEIGHT_PATH', `${label} is not a regular file`);
    if (r.kind === 'unresolvable') throw new QcbError('E_WEIGHT_PATH', `${label} cannot be resolved (${r.reason})`);
    files.push({ name, realPath: r.realPath, size: r.size });
  }
  const expected = group.weights.reduce((n, w) => n + elementCount(w.shape) * storedBytesPerElement(w), 0);
  const actual = files.reduce((n, f) => n + f.size, 0);
  if (expected !== actual) {
    const listed = files.slice(0, 5).map((f) => `${f.name} (${f.size} bytes)`).join(', ');
    const more = files.length > 5 ? ` and ${files.length - 5} more` : '';
    const diff = actual < expected ? `${expected - actual} missing` : `${actual - expected} extra`;
    throw new QcbError(
      'E_WEIGHT_SIZE',
      `${where}: weights need ${expected} bytes but the files hold ${actual} bytes (${diff}); files: ${listed || 'none'}${more}`,
    );
  }
  return files;
}

async function readGroup(files: ShardFile[], group: WeightManifestGroup, where: string, modelFile: string, out: Map<string, NamedWeight>): Promise<void> {
  const stream = new ShardStream(files, where);
  try {
    for (const entry of group.weights) {
      const { stored, bytes } = allocateStored(entry, elementCount(entry.shape));
      await stream.read(bytes);
      const values = decodeStored(entry, stored);
      const bad = countNonFinite(values);
      if (bad > 0) {
        throw new QcbError('E_WEIGHT_VALUE', `${modelFile}: weight '${entry.name}' has ${bad} non-finite value(s) (NaN or Infinity) out of ${values.length}`);
      }
      out.set(entry.name, { name: entry.name, shape: [...entry.shape], dtype: entry.dtype, values });
    }
  } finally {
    await stream.close();
  }
}

/**
 * Reads a TF.js layers model folder that may come from an untrusted source: every path, size
 * and value is checked before it is used.
 */
export async function readModelFolder(dir: string, options: ReadModelFolderOptions = {}): Promise<ModelFolder> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (typeof maxBytes !== 'number' || Number.isNaN(maxBytes) || maxBytes <= 0) {
    throw new QcbError('E_USAGE', `readModelFolder: maxBytes must be a positive number, got ${String(maxBytes)}`);
  }
  const absDir = path.resolve(dir);
  try {
    const realDir = await resolveFolder(absDir);
    const modelFile = path.join(absDir, 'model.json');
    const raw = await readJsonFile(realDir, { name: 'model.json', display: modelFile, maxSize: MAX_MODEL_JSON_BYTES, code: 'E_MODEL_JSON' });
    if (raw === undefined) throw new QcbError('E_MODEL_MISSING', `${modelFile}: not found`, { hint: 'a model folder must contain model.json' });
    const modelJson = parseLayersModelJson(raw, modelFile);
    checkBudget(modelJson.weightsManifest, maxBytes, modelFile);

    const weights = new Map<string, NamedWeight>();
    for (const [i, group] of modelJson.weightsManifest.entries()) {
      const where = `${modelFile}: weightsManifest[${i}]`;
      const files = await resolveGroupFiles(realDir, group, where);
      await readGroup(files, group, where, modelFile, weights);
    }

    const sidecarFile = path.join(absDir, 'qcb.json');
    const rawSidecar = await readJsonFile(realDir, { name: 'qcb.json', display: sidecarFile, maxSize: MAX_SIDECAR_BYTES, code: 'E_SIDECAR' });
    const sidecar = rawSidecar === undefined ? null : parseSidecar(rawSidecar, sidecarFile);
    return { dir: absDir, modelJson, weights, sidecar };
  } catch (e) {
    if (isQcbError(e)) throw e;
    throw new QcbError('E_IO', `${absDir}: cannot read model folder: ${(e as Error).message}`, { cause: e });
  }
}
