import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isQcbError, type QcbError } from '../../errors.js';
import { readModelFolder } from './read-model-folder.js';
import type { QcbSidecar } from './sidecar.js';
import type { LayersModelJson, NamedWeight } from './types.js';
import { writeModelFolder } from './write-model-folder.js';

let root: string;
let dir: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'qcb-write-'));
  dir = path.join(root, 'model');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const modelJson: LayersModelJson = {
  format: 'layers-model',
  generatedBy: 'keras v2.15',
  convertedBy: 'TensorFlow.js Converter v4.22.0',
  modelTopology: { class_name: 'Sequential', config: { name: 'net', layers: [{ class_name: 'Dense', config: { units: 3 } }] } },
  weightsManifest: [{ paths: ['ignored.bin'], weights: [{ name: 'ignored', shape: [1], dtype: 'float32' }] }],
  userDefinedMetadata: { origin: 'test' },
};

const sidecar: QcbSidecar = { version: 1, dataset: 'cifar10', classes: 10, target: 2, trigger: { type: 'blend', alpha: 0.2 } };

function bytesOf(values: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function sampleWeights(): NamedWeight[] {
  const kernel = new Float32Array(30);
  for (let i = 0; i < kernel.length; i++) kernel[i] = Math.sin(i * 12.9898) * 1e3;
  kernel.set([-0, 1e-45, 3.4028234663852886e38, -1.1754943508222875e-38], 0);
  return [
    { name: 'dense/kernel', shape: [10, 3], dtype: 'float32', values: kernel },
    { name: 'dense/bias', shape: [3], dtype: 'float32', values: new Float32Array([0.1, -0.2, 0.3]) },
    { name: 'counter', shape: [2, 2], dtype: 'int32', values: new Int32Array([2147483647, -2147483648, 0, -1]) },
    { name: 'empty', shape: [0, 4], dtype: 'float32', values: new Float32Array(0) },
  ];
}

async function failure(promise: Promise<unknown>): Promise<QcbError> {
  try {
    await promise;
  } catch (e) {
    expect(isQcbError(e)).toBe(true);
    return e as QcbError;
  }
  throw new Error('expected the promise to reject');
}

describe('writeModelFolder', () => {
  it('round-trips weights bit for bit over several shards, with sidecar and extra files', async () => {
    const weights = sampleWeights();
    await writeModelFolder(dir, {
      modelJson,
      weights,
      sidecar,
      extraFiles: { 'README.md': '# model\n', 'data/labels.bin': new Uint8Array([1, 2, 3]) },
    }, { shardBytes: 64 });

    // 30*4 + 3*4 + 4*4 = 148 bytes -> 3 shards of at most 64 bytes.
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(['README.md', 'data', 'group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin', 'model.json', 'qcb.json']);
    expect((await stat(path.join(dir, 'group1-shard3of3.bin'))).size).toBe(20);
    expect(await readFile(path.join(dir, 'data', 'labels.bin'))).toEqual(Buffer.from([1, 2, 3]));

    const folder = await readModelFolder(dir);
    expect(folder.sidecar).toEqual(sidecar);
    expect(folder.modelJson.modelTopology).toEqual(modelJson.modelTopology);
    expect(folder.modelJson).toMatchObject({ format: 'layers-model', generatedBy: 'keras v2.15', userDefinedMetadata: { origin: 'test' } });
    expect(folder.modelJson.weightsManifest).toEqual([{
      paths: ['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin'],
      weights: weights.map(({ name, shape, dtype }) => ({ name, shape, dtype })),
    }]);
    expect([...folder.weights.keys()]).toEqual(weights.map((w) => w.name));
    for (const w of weights) {
      const read = folder.weights.get(w.name)!;
      expect(read.shape).toEqual(w.shape);
      expect(read.dtype).toBe(w.dtype);
      expect(read.values.constructor).toBe(w.values.constructor);
      expect(bytesOf(read.values)).toEqual(bytesOf(w.values));
    }
  });

  it('writes the bytes of a typed-array view, not its whole buffer', async () => {
    const backing = new Float32Array([9, 1, 2, 9]);
    await writeModelFolder(dir, { modelJson, weights: [{ name: 'w', shape: [2], dtype: 'float32', values: backing.subarray(1, 3) }] });
    expect(Array.from((await readModelFolder(dir)).weights.get('w')!.values)).toEqual([1, 2]);
  });

  it('writes a model without weights and without a sidecar', async () => {
    await writeModelFolder(dir, { modelJson, weights: [] });
    expect(await readdir(dir)).toEqual(['model.json']);
    const folder = await readModelFolder(dir);
    expect(folder.weights.size).toBe(0);
    expect(folder.sidecar).toBeNull();
  });

  it('creates missing parent folders', async () => {
    const nested = path.join(root, 'a', 'b', 'model');
    await writeModelFolder(nested, { modelJson, weights: sampleWeights() });
    expect((await readModelFolder(nested)).weights.size).toBe(4);
  });

  it('replaces an existing folder completely and leaves nothing else behind', async () => {
    await writeModelFolder(dir, { modelJson, weights: sampleWeights(), sidecar, extraFiles: { 'old.txt': 'old' } }, { shardBytes: 16 });
    const replacement: NamedWeight = { name: 'w', shape: [1], dtype: 'float32', values: new Float32Array([42]) };
    await writeModelFolder(dir, { modelJson, weights: [replacement] });
    expect((await readdir(dir)).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    const folder = await readModelFolder(dir);
    expect([...folder.weights.keys()]).toEqual(['w']);
    expect(folder.sidecar).toBeNull();
    expect(await readdir(root)).toEqual(['model']);
  });

  it('leaves the previous folder intact and no temp folder when a weight does not match its shape', async () => {
    await writeModelFolder(dir, { modelJson, weights: sampleWeights(), sidecar });
    const before = await readFile(path.join(dir, 'model.json'), 'utf8');
    const bad: NamedWeight = { name: 'bad', shape: [2, 2], dtype: 'float32', values: new Float32Array(3) };
    const err = await failure(writeModelFolder(dir, { modelJson, weights: [...sampleWeights(), bad] }));
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toBe("writeModelFolder: weight 'bad': shape [2, 2] needs 4 values but 3 were given");
    expect(await readFile(path.join(dir, 'model.json'), 'utf8')).toBe(before);
    expect((await readModelFolder(dir)).sidecar).toEqual(sidecar);
    expect(await readdir(root)).toEqual(['model']);
  });

  it.each<[string, Partial<NamedWeight>, RegExp]>([
    ['wrong array type', { dtype: 'int32', values: new Float32Array(1) }, /dtype int32 needs values in a Int32Array/],
    ['bad shape', { shape: [-1] }, /shape must be an array of non-negative integers/],
    ['empty name', { name: '' }, /name must be a non-empty string/],
  ])('rejects a weight with %s', async (_label, patch, message) => {
    const w = { name: 'w', shape: [1], dtype: 'float32', values: new Float32Array(1), ...patch } as NamedWeight;
    const err = await failure(writeModelFolder(dir, { modelJson, weights: [w] }));
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toMatch(message);
    expect(await readdir(root)).toEqual([]);
  });

  it('rejects duplicate weight names and non-finite values', async () => {
    const w: NamedWeight = { name: 'w', shape: [1], dtype: 'float32', values: new Float32Array(1) };
    expect((await failure(writeModelFolder(dir, { modelJson, weights: [w, w] }))).message).toMatch(/duplicate weight name 'w'/);
    const nan: NamedWeight = { ...w, values: new Float32Array([NaN]) };
    expect((await failure(writeModelFolder(dir, { modelJson, weights: [nan] }))).code).toBe('E_WEIGHT_VALUE');
  });

  it.each([['../escape.txt', "'..'"], ['/abs.txt', 'absolute'], ['a\\b.txt', 'backslash'], ['model.json', 'reserved'], ['group1-shard1of1.bin', 'reserved']])(
    'rejects the extra file name %j',
    async (name, problem) => {
      const err = await failure(writeModelFolder(dir, { modelJson, weights: [], extraFiles: { [name]: 'x' } }));
      expect(err.code).toBe('E_USAGE');
      expect(err.message).toContain(problem);
      expect(await readdir(root)).toEqual([]);
    },
  );

  it('rejects an invalid sidecar, a bad shardBytes and a graph-model format before writing', async () => {
    expect((await failure(writeModelFolder(dir, { modelJson, weights: [], sidecar: { version: 1, target: -1 } }))).code).toBe('E_SIDECAR');
    expect((await failure(writeModelFolder(dir, { modelJson, weights: [] }, { shardBytes: 0 }))).code).toBe('E_USAGE');
    expect((await failure(writeModelFolder(dir, { modelJson: { ...modelJson, format: 'graph-model' }, weights: [] }))).code).toBe('E_MODEL_JSON');
    expect(await readdir(root)).toEqual([]);
  });

  it('refuses to replace a file', async () => {
    await writeFile(dir, 'not a folder');
    const err = await failure(writeModelFolder(dir, { modelJson, weights: [] }));
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toMatch(/exists and is not a directory/);
    expect(await readFile(dir, 'utf8')).toBe('not a folder');
    expect(await readdir(root)).toEqual(['model']);
  });

  it('fails cleanly when extra files collide', async () => {
    await mkdir(dir);
    await writeFile(path.join(dir, 'keep.txt'), 'keep');
    const err = await failure(writeModelFolder(dir, { modelJson, weights: [], extraFiles: { a: 'file', 'a/b': 'nested' } }));
    expect(err.code).toBe('E_IO');
    expect(await readFile(path.join(dir, 'keep.txt'), 'utf8')).toBe('keep');
    expect(await readdir(root)).toEqual(['model']);
  });
});
