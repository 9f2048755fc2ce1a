import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImageFolder } from './image-folder.js';

type Rgb = (y: number, x: number) => [number, number, number];

function pngBytes(h: number, w: number, rgb: Rgb): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      png.data.set([...rgb(y, x), 255], (y * w + x) * 4);
    }
  }
  return PNG.sync.write(png);
}

/** Image k of the colour set: distinct at every pixel and across images. */
const colour = (k: number): Rgb => (y, x) => [10 * k + 3 * y + x, 100 + k, 200 - k];
const gray = (k: number): Rgb => (y, x) => [20 * k + 3 * y + x, 20 * k + 3 * y + x, 20 * k + 3 * y + x];

async function writeImages(dir: string, names: string[], h: number, w: number, rgb: (k: number) => Rgb, first = 0): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all(names.map((name, i) => writeFile(join(dir, name), pngBytes(h, w, rgb(first + i)))));
}

function expectPixels(images: Float32Array, n: number, h: number, w: number, rgb: Rgb): void {
  const expected: number[] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) expected.push(...rgb(y, x).map((v) => Math.fround(v / 255)));
  expect(Array.from(images.subarray(n * h * w * 3, (n + 1) * h * w * 3))).toEqual(expected);
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'qcb-folder-'));
  // flat/cat: 3 PNGs (images 0..2); flat/dog: 3 PNGs (3..5) and a JPEG.
  await writeImages(join(root, 'flat', 'cat'), ['a.png', 'b.png', 'c.png'], 2, 3, colour, 0);
  await writeImages(join(root, 'flat', 'dog'), ['a.png', 'b.PNG', 'c.png'], 2, 3, colour, 3);
  const rgba = Buffer.alloc(2 * 3 * 4);
  for (let i = 0; i < 6; i++) rgba.set([90, 160, 30, 255], 4 * i);
  await writeFile(join(root, 'flat', 'dog', 'd.jpeg'), jpeg.encode({ width: 3, height: 2, data: rgba }, 100).data);
  await writeFile(join(root, 'flat', 'dog', 'notes.txt'), 'not an image');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loadImageFolder', () => {
  it('reads class folders in sorted order with exact pixels', async () => {
    const data = await loadImageFolder(join(root, 'flat'), { testShare: 0 });
    expect(data.name).toBe('folder');
    expect(data.classes).toBe(2);
    expect(data.labelNames).toEqual(['cat', 'dog']);
    expect(data.train.count).toBe(7);
    expect(data.test.count).toBe(0);
    expect(data.train.shape).toEqual([2, 3, 3]);
    expect(Array.from(data.train.labels)).toEqual([0, 0, 0, 1, 1, 1, 1]);
    for (let k = 0; k < 6; k++) expectPixels(data.train.images, k, 2, 3, colour(k));
    const jpegPixels = data.train.images.subarray(6 * 18, 7 * 18);
    for (let i = 0; i < 18; i += 3) {
      expect(Math.abs(jpegPixels[i] * 255 - 90)).toBeLessThanOrEqual(3);
      expect(Math.abs(jpegPixels[i + 1] * 255 - 160)).toBeLessThanOrEqual(3);
      expect(Math.abs(jpegPixels[i + 2] * 255 - 30)).toBeLessThanOrEqual(3);
    }
    const green = Array.from({ length: 7 * 6 }, (_, i) => data.train.images[i * 3 + 1]);
    const mean = green.reduce((a, b) => a + b, 0) / green.length;
    expect(data.normalization.mean[1]).toBeCloseTo(mean, 6);
  });

  it('splits each class by a seeded shuffle', async () => {
    const a = await loadImageFolder(join(root, 'flat'), { seed: 1 });
    const b = await loadImageFolder(join(root, 'flat'), { seed: 1 });
    // round(3 * 0.2) = 1 cat and round(4 * 0.2) = 1 dog held out.
    expect(a.train.count).toBe(5);
    expect(a.test.count).toBe(2);
    expect(Array.from(a.test.labels)).toEqual([0, 1]);
    expect(a.test.images).toEqual(b.test.images);
    expect(a.train.images).toEqual(b.train.images);
    const seeds = await Promise.all([2, 3, 4, 5, 6].map((seed) => loadImageFolder(join(root, 'flat'), { seed })));
    expect(seeds.some((d) => !d.test.images.every((v, i) => v === a.test.images[i]))).toBe(true);
  });

  it('uses train/ and test/ folders, infers grayscale, and resizes', async () => {
    const dir = join(root, 'split');
    await writeImages(join(dir, 'train', 'one'), ['1.png', '2.png'], 2, 2, gray, 0);
    await writeImages(join(dir, 'train', 'two'), ['1.png'], 2, 2, gray, 2);
    await writeImages(join(dir, 'test', 'two'), ['1.png'], 2, 2, gray, 3);
    const data = await loadImageFolder(dir);
    expect(data.labelNames).toEqual(['one', 'two']);
    expect(data.train.shape).toEqual([2, 2, 1]);
    expect(Array.from(data.train.labels)).toEqual([0, 0, 1]);
    expect(Array.from(data.test.labels)).toEqual([1]);
    expect(Array.from(data.test.images)).toEqual([60, 61, 63, 64].map((v) => Math.fround(v / 255)));
    expect(data.normalization.std[0]).toBeGreaterThan(0);

    const big = await loadImageFolder(dir, { size: [4, 4], channels: 3 });
    expect(big.test.shape).toEqual([4, 4, 3]);
    // Nearest neighbour: each source pixel becomes a 2x2 block.
    const firstChannel = Array.from({ length: 16 }, (_, i) => Math.round(big.test.images[3 * i] * 255));
    expect(firstChannel).toEqual([60, 60, 61, 61, 60, 60, 61, 61, 63, 63, 64, 64, 63, 63, 64, 64]);
  });

  it('computes luma for colour images when asked for one channel', async () => {
    const data = await loadImageFolder(join(root, 'flat'), { testShare: 0, channels: 1 });
    expect(data.train.shape).toEqual([2, 3, 1]);
    const [r, g, b] = colour(1)(1, 2);
    expect(data.train.images[6 + 5]).toBeCloseTo((0.299 * r + 0.587 * g + 0.114 * b) / 255, 6);
  });

  it('rejects an undecodable image naming it', async () => {
    const dir = join(root, 'broken');
    await writeImages(join(dir, 'x'), ['ok.png'], 2, 2, gray);
    await writeFile(join(dir, 'x', 'bad.png'), 'definitely not a png');
    await expect(loadImageFolder(dir)).rejects.toThrow(
      expect.objectContaining({ code: 'E_DATA', message: expect.stringMatching(/cannot decode image .*bad\.png/) }),
    );
    const truncated = pngBytes(4, 4, gray(1)).subarray(0, 40);
    await writeFile(join(dir, 'x', 'bad.png'), truncated);
    await expect(loadImageFolder(dir)).rejects.toThrow(/cannot decode image .*bad\.png/);
  });

  it('rejects inconsistent sizes unless a size is given', async () => {
    const dir = join(root, 'sizes');
    await writeImages(join(dir, 'x'), ['a.png'], 2, 2, gray);
    await writeImages(join(dir, 'y'), ['a.png'], 3, 2, gray);
    await expect(loadImageFolder(dir, { testShare: 0 })).rejects.toThrow(
      expect.objectContaining({ code: 'E_DATA', message: expect.stringMatching(/y\/a\.png is 3x2 but .*x\/a\.png is 2x2; pass a size/) }),
    );
    const data = await loadImageFolder(dir, { testShare: 0, size: [2, 2] });
    expect(data.train.count).toBe(2);
  });

  it('rejects missing folders, empty folders and empty classes', async () => {
    await expect(loadImageFolder(join(root, 'absent'))).rejects.toThrow(
      expect.objectContaining({ code: 'E_DATA', message: expect.stringMatching(/image folder .*absent not found/) }),
    );
    await mkdir(join(root, 'empty'));
    await expect(loadImageFolder(join(root, 'empty'))).rejects.toThrow(/has no class subfolders/);
    await mkdir(join(root, 'hollow', 'cls'), { recursive: true });
    await expect(loadImageFolder(join(root, 'hollow'))).rejects.toThrow(/class folder .*cls holds no \.png/);
  });

  it('rejects bad options', async () => {
    await expect(loadImageFolder(join(root, 'flat'), { testShare: 1 })).rejects.toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    await expect(loadImageFolder(join(root, 'flat'), { size: [0, 2] })).rejects.toThrow(expect.objectContaining({ code: 'E_USAGE' }));
  });
});
