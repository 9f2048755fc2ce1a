import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isQcbError, type QcbError } from '../../errors.js';
import type { LayersModelJson, NamedWeight } from './types.js';
import { writeModelFolder } from './write-model-folder.js';

// Fault injection: a predicate decides which fs call fails.
const inject = vi.hoisted(() => ({
  open: null as ((file: string) => boolean) | null,
  rename: null as ((from: string, to: string) => boolean) | null,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const injected = (call: string): Error => Object.assign(new Error(`injected ${call} failure`), { code: 'EIO' });
  return {
    ...actual,
    open: (async (file: Parameters<typeof actual.open>[0], ...rest: unknown[]) => {
      if (inject.open?.(String(file))) throw injected('open');
      return (actual.open as (...a: unknown[]) => ReturnType<typeof actual.open>)(file, ...rest);
    }) as typeof actual.open,
    rename: (async (from: Parameters<typeof actual.rename>[0], to: Parameters<typeof actual.rename>[1]) => {
      if (inject.rename?.(String(from), String(to))) throw injected('rename');
      return actual.rename(from, to);
    }) as typeof actual.rename,
  };
});

let root: string;
let dir: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'qcb-atomic-'));
  dir = path.join(root, 'model');
});
afterEach(async () => {
  inject.open = null;
  inject.rename = null;
  await rm(root, { recursive: true, force: true });
});

const modelJson: LayersModelJson = { modelTopology: { class_name: 'Sequential' }, weightsManifest: [] };
const weights = (fill: number): NamedWeight[] => [
  { name: 'a', shape: [8], dtype: 'float32', values: new Float32Array(8).fill(fill) },
  { name: 'b', shape: [8], dtype: 'float32', values: new Float32Array(8).fill(fill) },
];

async function snapshot(folder: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(folder)).sort()) out[name] = (await readFile(path.join(folder, name))).toString('base64');
  return out;
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

describe('writeModelFolder atomicity', () => {
  it('keeps the previous folder and removes the temp folder when a shard write fails midway', async () => {
    await writeModelFolder(dir, { modelJson, weights: weights(1), extraFiles: { 'x.txt': 'old' } }, { shardBytes: 16 });
    const before = await snapshot(dir);
    inject.open = (file) => file.endsWith('group1-shard3of4.bin');
    const err = await failure(writeModelFolder(dir, { modelJson, weights: weights(2) }, { shardBytes: 16 }));
    expect(err.code).toBe('E_IO');
    expect(err.message).toContain('injected open failure');
    expect(await snapshot(dir)).toEqual(before);
    expect(await readdir(root)).toEqual(['model']);
  });

  it('moves the previous folder back when the swap fails', async () => {
    await writeModelFolder(dir, { modelJson, weights: weights(1) });
    const before = await snapshot(dir);
    inject.rename = (from, to) => to === dir && path.basename(from).includes('.tmp-');
    const err = await failure(writeModelFolder(dir, { modelJson, weights: weights(2) }));
    expect(err.code).toBe('E_IO');
    expect(await snapshot(dir)).toEqual(before);
    expect(await readdir(root)).toEqual(['model']);
  });

  it('leaves no target and no temp folder when the final rename of a new folder fails', async () => {
    inject.rename = (_from, to) => to === dir;
    expect((await failure(writeModelFolder(dir, { modelJson, weights: weights(1) }))).code).toBe('E_IO');
    expect(await readdir(root)).toEqual([]);
  });

  it('reports where the previous folder is when it cannot be moved back', async () => {
    await writeModelFolder(dir, { modelJson, weights: weights(1) });
    const before = await snapshot(dir);
    inject.rename = (_from, to) => to === dir;
    const err = await failure(writeModelFolder(dir, { modelJson, weights: weights(2) }));
    expect(err.code).toBe('E_IO');
    const aside = (await readdir(root)).find((n) => n.startsWith('.model.old-'));
    expect(aside).toBeDefined();
    expect(err.message).toContain(aside);
    expect(await snapshot(path.join(root, aside!))).toEqual(before);
    expect((await readdir(root)).some((n) => n.includes('.tmp-'))).toBe(false);
  });
});
