import path from 'node:path';
import { isQcbError, QcbError } from '../../errors.js';
import { replaceDirAtomically } from './atomic-dir.js';
import { countNonFinite, elementCount } from './decode-weight.js';
import { isPlainObject } from './json.js';
import { isValidShape, parseLayersModelJson } from './manifest.js';
import { relativePathProblem } from './safe-path.js';
import { littleEndianBytes, shardCount, shardName, splitIntoShards } from './shards.js';
import { serializeSidecar, type QcbSidecar } from './sidecar.js';
import type { LayersModelJson, NamedWeight, WeightManifestEntry } from './types.js';
import { writeSyncedFile } from './write-synced-file.js';

export interface ModelFolderContent {
  /** Its weightsManifest is ignored and rebuilt from `weights`. */
  modelJson: LayersModelJson;
  weights: NamedWeight[];
  sidecar?: QcbSidecar | null;
  /** Additional files, by folder-relative name. */
  extraFiles?: Record<string, string | Uint8Array>;
}

export interface WriteModelFolderOptions {
  /** Maximum shard size in bytes (default 4 MiB). */
  shardBytes?: number;
}

export const DEFAULT_SHARD_BYTES = 4 * 1024 ** 2;

function usage(message: string): never {
  throw new QcbError('E_USAGE', `writeModelFolder: ${message}`);
}

function checkWeights(weights: readonly NamedWeight[]): WeightManifestEntry[] {
  if (!Array.isArray(weights)) usage('weights must be an array');
  const seen = new Set<string>();
  return weights.map((w, i) => {
    if (typeof w?.name !== 'string' || w.name.length === 0) usage(`weights[${i}].name must be a non-empty string`);
    if (seen.has(w.name)) usage(`duplicate weight name '${w.name}'`);
    seen.add(w.name);
    if (!isValidShape(w.shape)) usage(`weight '${w.name}': shape must be an array of non-negative integers`);
    const expectedType = w.dtype === 'float32' ? Float32Array : w.dtype === 'int32' ? Int32Array : null;
    if (expectedType === null) usage(`weight '${w.name}': unsupported dtype '${String(w.dtype)}' (supported: float32, int32)`);
    if (!(w.values instanceof expectedType)) usage(`weight '${w.name}': dtype ${w.dtype} needs values in a ${expectedType.name}`);
    const count = elementCount(w.shape);
    if (w.values.length !== count) {
      usage(`weight '${w.name}': shape [${w.shape.join(', ')}] needs ${count} values but ${w.values.length} were given`);
    }
    const bad = countNonFinite(w.values);
    if (bad > 0) throw new QcbError('E_WEIGHT_VALUE', `writeModelFolder: weight '${w.name}' has ${bad} non-finite value(s) (NaN or Infinity)`);
    return { name: w.name, shape: [...w.shape], dtype: w.dtype };
  });
}

function checkExtraFiles(extraFiles: Record<string, string | Uint8Array>): Array<[string, string | Uint8Array]> {
  const reserved = /^(model\.json|qcb\.json|group\d+-shard\d+of\d+\.bin)$/i;
  return Object.entries(extraFiles).map(([name, data]) => {
    const problem = relativePathProblem(name);
    if (problem !== null) usage(`extra file name ${JSON.stringify(name)} ${problem}`);
    if (reserved.test(name)) usage(`extra file name '${name}' is reserved for the model itself`);
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) usage(`extra file '${name}' must be a string or Uint8Array`);
    return [name, data];
  });
}

/**
 * Writes a TF.js layers model folder atomically: the content is assembled and fsynced in a
 * temporary sibling folder, then swapped into place. Missing parent folders are created.
 */
export async function writeModelFolder(dir: string, content: ModelFolderContent, options: WriteModelFolderOptions = {}): Promise<void> {
  const shardBytes = options.shardBytes ?? DEFAULT_SHARD_BYTES;
  if (!Number.isSafeInteger(shardBytes) || shardBytes <= 0) usage(`shardBytes must be a positive integer, got ${String(shardBytes)}`);

  // Everything is validated before the first byte is written.
  if (!isPlainObject(content?.modelJson)) usage('content.modelJson must be an object');
  const entries = checkWeights(content.weights);
  const extras = checkExtraFiles(content.extraFiles ?? {});
  const sidecarText = content.sidecar == null ? null : serializeSidecar(content.sidecar);
  const parts = content.weights.map((w) => littleEndianBytes(w.values));
  const count = shardCount(parts.reduce((n, p) => n + p.length, 0), shardBytes);
  const paths = Array.from({ length: count }, (_, i) => shardName(i, count));
  const { weightsManifest: _ignored, ...rest } = content.modelJson;
  const modelJson = parseLayersModelJson(
    { format: 'layers-model', ...rest, weightsManifest: [{ paths, weights: entries }] },
    'writeModelFolder: modelJson',
  );

  const target = path.resolve(dir);
  try {
    await replaceDirAtomically(target, async (tmp) => {
      let i = 0;
      for (const shard of splitIntoShards(parts, shardBytes)) await writeSyncedFile(path.join(tmp, paths[i++]), shard);
      await writeSyncedFile(path.join(tmp, 'model.json'), JSON.stringify(modelJson));
      if (sidecarText !== null) await writeSyncedFile(path.join(tmp, 'qcb.json'), sidecarText);
      for (const [name, data] of extras) await writeSyncedFile(path.join(tmp, ...name.split('/')), data);
    });
  } catch (e) {
    if (isQcbError(e)) throw e;
    throw new QcbError('E_IO', `${target}: cannot write model folder: ${(e as Error).message}`, { cause: e });
  }
}
