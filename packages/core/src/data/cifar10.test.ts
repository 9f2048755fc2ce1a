import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCifar10 } from './cifar10.js';

const PLANE = 1024;

/** One record whose R, G and B planes hold (p + seed) % 256, 2 * p % 256 and a constant. */
function record(label: number, seed: number): Buffer {
  const bytes = Buffer.alloc(1 + 3 * PLANE);
  bytes[0] = label;
  for (let p = 0; p < PLANE; p++) {
    bytes[1 + p] = (p + seed) % 256;
    bytes[1 + PLANE + p] = (2 * p) % 256;
    bytes[1 + 2 * PLANE + p] = 200;
  }
  return bytes;
}

async function writeBatches(dir: string, test: Buffer = record(3, 7)): Promise<void> {
  await mkdir(dir, { recursive: true });
  // Batch 1 holds two records, the others one each.
  await writeFile(join(dir, 'data_batch_1.bin'), Buffer.concat([record(0, 0), record(9, 1)]));
  for (let i = 2; i <= 5; i++) await writeFile(join(dir, `data_batch_${i}.bin`), record(i, i));
  await writeFile(join(dir, 'test_batch.bin'), test);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcb-cifar-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadCifar10', () => {
  it('converts channel-planar records to NHWC', async () => {
    const root = join(dir, 'ok');
    await writeBatches(root);
    const data = await loadCifar10(root);
    expect(data.classes).toBe(10);
    expect(data.train.count).toBe(6);
    expect(data.train.shape).toEqual([32, 32, 3]);
    expect(Array.from(data.train.labels)).toEqual([0, 9, 2, 3, 4, 5]);
    expect(Array.from(data.test.labels)).toEqual([3]);
    const px = (set: typeof data.train, n: number, y: number, x: number): number[] =>
      Array.from(set.images.subarray(((n * 32 + y) * 32 + x) * 3, ((n * 32 + y) * 32 + x) * 3 + 3));
    const f = (v: number): number => Math.fround(v / 255);
    // Record 1 (seed 1), pixel (y=2, x=5) is plane index 69.
    expect(px(data.train, 1, 2, 5)).toEqual([f(70), f(138), f(200)]);
    expect(px(data.train, 0, 0, 0)).toEqual([f(0), f(0), f(200)]);
    expect(px(data.test, 0, 31, 31)).toEqual([f((1023 + 7) % 256), f(2046 % 256), f(200)]);
    expect(data.normalization.mean).toEqual([0.4914, 0.4822, 0.4465]);
  });

  it('accepts the cifar-10-batches-bin folder inside dir', async () => {
    const outer = join(dir, 'outer');
    await writeBatches(join(outer, 'cifar-10-batches-bin'));
    const data = await loadCifar10(outer);
    expect(data.train.count).toBe(6);
    expect(data.source).toBe(join(outer, 'cifar-10-batches-bin'));
  });

  it('rejects a truncated file', async () => {
    const root = join(dir, 'truncated');
    await writeBatches(root, record(1, 1).subarray(0, 3000));
    await expect(loadCifar10(root)).rejects.toThrow(
      expect.objectContaining({ code: 'E_DATA', message: expect.stringMatching(/test_batch\.bin is 3000 bytes, not a positive multiple of the 3073-byte/) }),
    );
  });

  it('rejects a label out of range', async () => {
    const root = join(dir, 'badlabel');
    await writeBatches(root, Buffer.concat([record(1, 1), record(10, 1)]));
    await expect(loadCifar10(root)).rejects.toThrow(/test_batch\.bin has label 10 in record 1/);
  });

  it('rejects missing files and folders', async () => {
    const root = join(dir, 'partial');
    await writeBatches(root);
    await rm(join(root, 'data_batch_4.bin'));
    await expect(loadCifar10(root)).rejects.toThrow(expect.objectContaining({ code: 'E_DATA', message: expect.stringMatching(/data_batch_4\.bin: file not found/) }));
    await expect(loadCifar10(join(dir, 'nowhere'))).rejects.toThrow(expect.objectContaining({ code: 'E_DATA', message: expect.stringMatching(/CIFAR-10 folder .*nowhere not found/) }));
  });
});
