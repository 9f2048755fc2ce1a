import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isQcbError, QcbError } from '../../errors.js';
import { readModelFolder } from './read-model-folder.js';

let root: string;
let dir: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'qcb-read-'));
  dir = path.join(root, 'model');
  await mkdir(dir);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const topology = { class_name: 'Sequential', config: { layers: [] } };

function f32(...values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

async function writeModel(manifest: unknown, files: Record<string, Uint8Array | string> = {}, extra: object = {}): Promise<void> {
  await writeFile(path.join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: topology, weightsManifest: manifest, ...extra }));
  for (const [name, data] of Object.entries(files)) await writeFile(path.join(dir, name), data);
}

/** One group holding a float32 weight 'w' of shape [2]. */
async function writeSimpleModel(paths: string[] = ['w.bin'], files: Record<string, Uint8Array> = { 'w.bin': f32(1, 2) }): Promise<void> {
  await writeModel([{ paths, weights: [{ name: 'w', shape: [2], dtype: 'float32' }] }], files);
}

async function failure(promise: Promise<unknown>): Promise<QcbError> {
  try {
    await promise;
  } catch (e) {
    expect(isQcbError(e)).toBe(true);
    const err = e as QcbError;
    expect(err.message).not.toMatch(/\n/);
    expect(err.message).not.toMatch(/\bat .*:\d+:\d+/);
    return err;
  }
  throw new Error('expected the promise to reject');
}

describe('readModelFolder: valid folders', () => {
  it('reads float32 and int32 weights across several shards, in manifest order', async () => {
    const bytes = concat(f32(1.5, -2, 3e-40), new Uint8Array(new Int32Array([7, -8]).buffer));
    await writeModel(
      [{ paths: ['a.bin', 'b.bin', 'c.bin'], weights: [
        { name: 'dense/kernel', shape: [3], dtype: 'float32' },
        { name: 'dense/steps', shape: [2], dtype: 'int32' },
      ] }],
      { 'a.bin': bytes.subarray(0, 5), 'b.bin': bytes.subarray(5, 5), 'c.bin': bytes.subarray(5) },
    );
    const folder = await readModelFolder(dir);
    expect(folder.dir).toBe(dir);
    expect(folder.sidecar).toBeNull();
    expect(folder.modelJson.modelTopology).toEqual(topology);
    expect([...folder.weights.keys()]).toEqual(['dense/kernel', 'dense/steps']);
    const kernel = folder.weights.get('dense/kernel')!;
    expect(kernel.dtype).toBe('float32');
    expect(kernel.values).toBeInstanceOf(Float32Array);
    expect(Array.from(kernel.values)).toEqual(Array.from(new Float32Array([1.5, -2, 3e-40])));
    const steps = folder.weights.get('dense/steps')!;
    expect(steps).toMatchObject({ dtype: 'int32', shape: [2] });
    expect(steps.values).toBeInstanceOf(Int32Array);
    expect(Array.from(steps.values)).toEqual([7, -8]);
  });

  it('dequantizes uint8 and uint16 weights as q * scale + min', async () => {
    const u16 = new Uint8Array(new Uint16Array([0, 4, 65535]).buffer);
    await writeModel(
      [{ paths: ['q.bin'], weights: [
        { name: 'u8', shape: [2, 2], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
        { name: 'u16', shape: [3], dtype: 'float32', quantization: { dtype: 'uint16', scale: 0.25, min: 10 } },
        { name: 'i', shape: [3], dtype: 'int32', quantization: { dtype: 'uint8', scale: 1.5, min: -2 } },
      ] }],
      { 'q.bin': concat(new Uint8Array([0, 1, 2, 255]), u16, new Uint8Array([0, 1, 3])) },
    );
    const folder = await readModelFolder(dir);
    const u8 = folder.weights.get('u8')!;
    expect(u8.values).toBeInstanceOf(Float32Array);
    expect(Array.from(u8.values)).toEqual([-1, -0.5, 0, 126.5]);
    expect(Array.from(folder.weights.get('u16')!.values)).toEqual([10, 11, 16393.75]);
    // int32 weights are rounded like TF.js does: -2, round(-0.5) = 0, round(2.5) = 3.
    const i = folder.weights.get('i')!;
    expect(i.values).toBeInstanceOf(Int32Array);
    expect(Array.from(i.values)).toEqual([-2, 0, 3]);
  });

  it('decodes float16 weights', async () => {
    const halves = new Uint16Array([0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x8000, 0x3800]);
    await writeModel(
      [{ paths: ['h.bin'], weights: [{ name: 'h', shape: [7], dtype: 'float32', quantization: { dtype: 'float16' } }] }],
      { 'h.bin': new Uint8Array(halves.buffer) },
    );
    const values = (await readModelFolder(dir)).weights.get('h')!.values;
    expect(values).toBeInstanceOf(Float32Array);
    expect(Array.from(values)).toEqual([1, -2, 1365 / 4096, 65504, 2 ** -24, -0, 0.5]);
    expect(Object.is(values[5], -0)).toBe(true);
  });

  it('reads a float32 weight that follows an odd-sized quantized weight (unaligned offset)', async () => {
    await writeModel(
      [{ paths: ['m.bin'], weights: [
        { name: 'q', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: 0 } },
        { name: 'f', shape: [2], dtype: 'float32' },
      ] }],
      { 'm.bin': concat(new Uint8Array([1, 2, 3]), f32(0.1, -7.25)) },
    );
    const folder = await readModelFolder(dir);
    expect(Array.from(folder.weights.get('q')!.values)).toEqual([1, 2, 3]);
    expect(Array.from(folder.weights.get('f')!.values)).toEqual(Array.from(new Float32Array([0.1, -7.25])));
  });

  it('follows a symlink that stays inside the folder', async () => {
    await mkdir(path.join(dir, 'shards'));
    await writeFile(path.join(dir, 'shards', 'real.bin'), f32(1, 2));
    await symlink(path.join(dir, 'shards', 'real.bin'), path.join(dir, 'w.bin'));
    await writeSimpleModel(['w.bin'], {});
    expect(Array.from((await readModelFolder(dir)).weights.get('w')!.values)).toEqual([1, 2]);
  });

  it('accepts a model without weights and keeps known optional fields', async () => {
    await writeModel([], {}, { generatedBy: 'keras', convertedBy: null, userDefinedMetadata: { a: 1 } });
    const folder = await readModelFolder(dir);
    expect(folder.weights.size).toBe(0);
    expect(folder.modelJson).toMatchObject({ generatedBy: 'keras', convertedBy: null, userDefinedMetadata: { a: 1 } });
  });
});

describe('readModelFolder: folder and model.json problems', () => {
  it('rejects a missing folder', async () => {
    const err = await failure(readModelFolder(path.join(root, 'nope')));
    expect(err.code).toBe('E_MODEL_MISSING');
    expect(err.message).toContain('nope');
  });

  it('rejects a path that is a file', async () => {
    await writeFile(path.join(root, 'file'), 'x');
    const err = await failure(readModelFolder(path.join(root, 'file')));
    expect(err.code).toBe('E_MODEL_MISSING');
    expect(err.message).toMatch(/not a directory/);
  });

  it('rejects a folder without model.json', async () => {
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_MODEL_MISSING');
    expect(err.message).toContain('model.json');
  });

  it('rejects malformed JSON and includes the parser message', async () => {
    await writeFile(path.join(dir, 'model.json'), '{"modelTopology": {},\n');
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_MODEL_JSON');
    expect(err.message).toContain('model.json');
    expect(err.message).toMatch(/invalid JSON: .*JSON/);
  });

  it('rejects model.json without modelTopology', async () => {
    await writeFile(path.join(dir, 'model.json'), JSON.stringify({ weightsManifest: [] }));
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_MODEL_JSON');
    expect(err.message).toContain('modelTopology');
  });

  it('rejects a graph model', async () => {
    await writeModel([], {}, { format: 'graph-model' });
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_MODEL_JSON');
    expect(err.message).toContain('graph-model');
  });

  it.each([
    ['not an array', { paths: [] }, 'weightsManifest'],
    ['a group without paths', [{ weights: [] }], 'weightsManifest[0].paths'],
    ['a weight without a name', [{ paths: [], weights: [{ shape: [], dtype: 'float32' }] }], 'weightsManifest[0].weights[0].name'],
  ])('rejects a malformed weightsManifest (%s)', async (_label, manifest, field) => {
    await writeModel(manifest);
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_MODEL_JSON');
    expect(err.message).toContain(field);
  });

  it.each([[[-1]], [[1.5]], [['2']], ['2'], [null]])('rejects the shape %j', async (shape) => {
    await writeModel([{ paths: [], weights: [{ name: 'w', shape, dtype: 'float32' }] }]);
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_MODEL_JSON');
    expect(err.message).toMatch(/'w'.*shape/);
  });

  it('rejects duplicate weight names across groups', async () => {
    await writeModel([
      { paths: ['a.bin'], weights: [{ name: 'w', shape: [1], dtype: 'float32' }] },
      { paths: ['b.bin'], weights: [{ name: 'w', shape: [1], dtype: 'float32' }] },
    ], { 'a.bin': f32(1), 'b.bin': f32(2) });
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_MODEL_JSON');
    expect(err.message).toMatch(/duplicate weight name 'w'/);
  });

  it('rejects an unsupported dtype', async () => {
    await writeModel([{ paths: ['a.bin'], weights: [{ name: 'flag', shape: [1], dtype: 'bool' }] }], { 'a.bin': new Uint8Array(1) });
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_MODEL_JSON');
    expect(err.message).toMatch(/'flag'.*unsupported dtype "bool"/);
  });

  it('rejects an unsupported quantization', async () => {
    await writeModel([{ paths: [], weights: [{ name: 'w', shape: [0], dtype: 'float32', quantization: { dtype: 'int4' } }] }]);
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_MODEL_JSON');
    expect(err.message).toMatch(/'w'.*quantization/);
  });

  it('rejects a model.json symlink pointing outside the folder', async () => {
    await writeFile(path.join(root, 'outside.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [] }));
    await symlink(path.join(root, 'outside.json'), path.join(dir, 'model.json'));
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_MODEL_JSON');
    expect(err.message).toMatch(/outside the model folder/);
  });
});

describe('readModelFolder: weight paths', () => {
  it.each([
    ['../secret.bin', "'..'"],
    ['sub/../../secret.bin', "'..'"],
    ['/etc/passwd', 'absolute'],
    ['C:/x.bin', 'absolute'],
    ['sub\\w.bin', 'backslash'],
    ['', 'empty'],
    ['a//b.bin', 'empty'],
  ])('rejects the path %j', async (p, problem) => {
    await writeSimpleModel([p], {});
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_WEIGHT_PATH');
    expect(err.message).toContain(problem);
    expect(err.message).toContain('weightsManifest[0].paths[0]');
  });

  it('rejects a symlink inside the folder pointing outside it', async () => {
    await writeFile(path.join(root, 'secret.bin'), f32(1, 2));
    await symlink(path.join(root, 'secret.bin'), path.join(dir, 'w.bin'));
    await writeSimpleModel(['w.bin'], {});
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_WEIGHT_PATH');
    expect(err.message).toMatch(/'w\.bin' resolves outside the model folder/);
  });

  it('rejects a path through a symlinked directory that leaves the folder', async () => {
    await mkdir(path.join(root, 'elsewhere'));
    await writeFile(path.join(root, 'elsewhere', 'w.bin'), f32(1, 2));
    await symlink(path.join(root, 'elsewhere'), path.join(dir, 'sub'));
    await writeSimpleModel(['sub/w.bin'], {});
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_WEIGHT_PATH');
    expect(err.message).toContain('outside the model folder');
  });

  it('rejects a missing shard', async () => {
    await writeSimpleModel(['w1.bin', 'w2.bin'], { 'w1.bin': f32(1) });
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_WEIGHT_PATH');
    expect(err.message).toMatch(/'w2\.bin' does not exist/);
  });

  it('rejects a path naming a directory', async () => {
    await mkdir(path.join(dir, 'w.bin'));
    await writeSimpleModel(['w.bin'], {});
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_WEIGHT_PATH');
    expect(err.message).toMatch(/not a regular file/);
  });

  it.skipIf(process.platform === 'win32')('rejects a FIFO without blocking on it', async () => {
    execFileSync('mkfifo', [path.join(dir, 'w.bin')]);
    await writeSimpleModel(['w.bin'], {});
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_WEIGHT_PATH');
  });
});

describe('readModelFolder: sizes and values', () => {
  it('rejects a truncated shard, reporting expected and actual sizes', async () => {
    await writeSimpleModel(['w.bin'], { 'w.bin': f32(1, 2).subarray(0, 6) });
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_WEIGHT_SIZE');
    expect(err.message).toMatch(/weightsManifest\[0\]: weights need 8 bytes but the files hold 6 bytes \(2 missing\); files: w\.bin \(6 bytes\)/);
  });

  it('rejects a shard with extra bytes', async () => {
    await writeSimpleModel(['w.bin'], { 'w.bin': concat(f32(1, 2), new Uint8Array([0])) });
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_WEIGHT_SIZE');
    expect(err.message).toMatch(/need 8 bytes but the files hold 9 bytes \(1 extra\)/);
  });

  it('rejects weights over maxBytes before reading them', async () => {
    await writeModel([{ paths: ['w.bin'], weights: [{ name: 'w', shape: [1_000_000_000, 1_000_000_000], dtype: 'float32' }] }], { 'w.bin': f32(1) });
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_WEIGHT_SIZE');
    expect(err.message).toMatch(/over the limit of 2147483648 bytes/);
  });

  it('applies maxBytes to the decoded size of quantized weights', async () => {
    await writeModel(
      [{ paths: ['q.bin'], weights: [{ name: 'q', shape: [4], dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: 0 } }] }],
      { 'q.bin': new Uint8Array(4) },
    );
    expect((await failure(readModelFolder(dir, { maxBytes: 15 }))).code).toBe('E_WEIGHT_SIZE');
    expect((await readModelFolder(dir, { maxBytes: 16 })).weights.size).toBe(1);
  });

  it('rejects NaN and Infinity values, naming the weight and the count', async () => {
    await writeModel([{ paths: ['w.bin'], weights: [
      { name: 'ok', shape: [1], dtype: 'float32' },
      { name: 'conv/bias', shape: [4], dtype: 'float32' },
    ] }], { 'w.bin': f32(0, 1, NaN, Infinity, -Infinity) });
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_WEIGHT_VALUE');
    expect(err.message).toMatch(/weight 'conv\/bias' has 3 non-finite value\(s\)/);
  });

  it('rejects a float16 infinity', async () => {
    await writeModel(
      [{ paths: ['h.bin'], weights: [{ name: 'h', shape: [1], dtype: 'float32', quantization: { dtype: 'float16' } }] }],
      { 'h.bin': new Uint8Array(new Uint16Array([0x7c00]).buffer) },
    );
    expect((await failure(readModelFolder(dir))).code).toBe('E_WEIGHT_VALUE');
  });

  it('rejects a non-positive maxBytes', async () => {
    expect((await failure(readModelFolder(dir, { maxBytes: 0 }))).code).toBe('E_USAGE');
  });
});

describe('readModelFolder: sidecar', () => {
  it('returns the validated sidecar', async () => {
    await writeSimpleModel();
    await writeFile(path.join(dir, 'qcb.json'), JSON.stringify({ version: 1, classes: 10, target: 3 }));
    expect((await readModelFolder(dir)).sidecar).toEqual({ version: 1, classes: 10, target: 3 });
  });

  it('rejects an invalid sidecar field', async () => {
    await writeSimpleModel();
    await writeFile(path.join(dir, 'qcb.json'), JSON.stringify({ version: 1, trigger: { type: 'patch', size: 0 } }));
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_SIDECAR');
    expect(err.message).toBe(`${path.join(dir, 'qcb.json')}: trigger.size must be a positive integer, got 0`);
  });

  it('rejects a sidecar that is not JSON', async () => {
    await writeSimpleModel();
    await writeFile(path.join(dir, 'qcb.json'), '{version: 1}');
    const err = await failure(readModelFolder(dir));
    expect(err.code).toBe('E_SIDECAR');
    expect(err.message).toMatch(/qcb\.json: invalid JSON/);
  });
});

describe('isQcbError', () => {
  it('recognises QcbError only', () => {
    expect(isQcbError(new QcbError('E_DATA', 'x'))).toBe(true);
    expect(isQcbError(new Error('x'))).toBe(false);
    expect(isQcbError({ code: 'E_DATA', message: 'x' })).toBe(false);
    expect(isQcbError(null)).toBe(false);
  });

  it('keeps messages and hints on one line', () => {
    const err = new QcbError('E_DATA', 'line one\n  line two', { hint: 'a\nb' });
    expect(err.message).toBe('line one line two');
    expect(err.hint).toBe('a b');
    expect(err.name).toBe('QcbError');
  });
});
