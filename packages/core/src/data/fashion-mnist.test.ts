import { copyFile, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST_DIR, loadFashionMnist } from './fashion-mnist.js';

function idxBytes(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcb-fmnist-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadFashionMnist', () => {
  it('loads a tiny mix of plain and gzipped files', async () => {
    const image = new Uint8Array(28 * 28).map((_, i) => i % 256);
    await writeFile(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idxBytes([2, 28, 28], new Uint8Array([...image, ...image]))));
    await writeFile(join(dir, 'train-labels-idx1-ubyte'), idxBytes([2], new Uint8Array([9, 0])));
    await writeFile(join(dir, 't10k-images-idx3-ubyte'), idxBytes([1, 28, 28], image));
    await writeFile(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(idxBytes([1], new Uint8Array([4]))));
    const data = await loadFashionMnist(dir, { verify: false });
    expect(data.name).toBe('fashion-mnist');
    expect(data.classes).toBe(10);
    expect(data.labelNames?.[9]).toBe('Ankle boot');
    expect(data.train.count).toBe(2);
    expect(data.train.shape).toEqual([28, 28, 1]);
    expect(Array.from(data.train.labels)).toEqual([9, 0]);
    expect(data.test.images[255]).toBe(1);
    expect(data.test.images[256]).toBe(0);
    expect(data.normalization).toEqual({ mean: [0.286], std: [0.353] });
  });

  it('names a missing folder and what it must hold', async () => {
    await expect(loadFashionMnist(join(dir, 'absent'))).rejects.toThrow(
      expect.objectContaining({ code: 'E_DATA', message: expect.stringMatching(/absent not found; pass --data-dir <folder> holding train-images-idx3-ubyte\[\.gz\]/) }),
    );
  });

  it('names a missing file', async () => {
    const partial = await mkdtemp(join(dir, 'partial-'));
    await expect(loadFashionMnist(partial)).rejects.toThrow(/train-images-idx3-ubyte\[\.gz\] not found; pass --data-dir/);
  });

  it('loads the shipped Fashion-MNIST: 60,000 + 10,000 28x28 images, 10 balanced classes', async () => {
    const data = await loadFashionMnist();
    expect(data.source).toBe(FASHION_MNIST_DIR);
    expect(data.train.count).toBe(60000);
    expect(data.test.count).toBe(10000);
    expect(data.train.shape).toEqual([28, 28, 1]);
    expect(data.train.images.length).toBe(60000 * 784);
    for (const set of [data.train, data.test]) {
      const perClass = new Array<number>(10).fill(0);
      for (const label of set.labels) perClass[label]++;
      expect(perClass).toEqual(new Array<number>(10).fill(set.count / 10));
    }
  });

  it('names a file whose content differs from the original by one byte', async () => {
    const altered = await mkdtemp(join(dir, 'altered-'));
    for (const name of await readdir(FASHION_MNIST_DIR)) await copyFile(join(FASHION_MNIST_DIR, name), join(altered, name));
    const labels = join(altered, 't10k-labels-idx1-ubyte');
    const plain = gunzipSync(await readFile(`${labels}.gz`));
    plain[100] = (plain[100] + 1) % 10;
    await rm(`${labels}.gz`);
    await writeFile(labels, plain);
    await expect(loadFashionMnist(altered)).rejects.toThrow(
      expect.objectContaining({ code: 'E_DATA', message: expect.stringMatching(/t10k-labels-idx1-ubyte is not the original Fashion-MNIST t10k-labels-idx1-ubyte: truncated or altered/) }),
    );
  });

  it('names a gzipped file that was cut short', async () => {
    const cut = await mkdtemp(join(dir, 'cut-'));
    for (const name of await readdir(FASHION_MNIST_DIR)) await copyFile(join(FASHION_MNIST_DIR, name), join(cut, name));
    const labels = join(cut, 'train-labels-idx1-ubyte.gz');
    await truncate(labels, 20000);
    await expect(loadFashionMnist(cut)).rejects.toThrow(
      expect.objectContaining({ code: 'E_DATA', message: expect.stringMatching(/train-labels-idx1-ubyte\.gz could not be gunzipped \(truncated or altered\?\)/) }),
    );
  });
});
