import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { QcbError } from '../errors.js';
import { decodeImage, isGray, writePixels, type RgbaImage } from './decode-image.js';
import { pathKind, readBytes } from './fs-checks.js';
import type { Dataset, ImageSet } from './image-set.js';
import { computeNormalization } from './normalization.js';
import { mulberry32, shuffleInPlace } from './random.js';

export interface ImageFolderOptions {
  /** [height, width] to resize every image to (nearest neighbour); default: the images' common size. */
  size?: [number, number];
  /** 1 = grayscale (luma), 3 = RGB; default: 1 when every image is gray, else 3. */
  channels?: 1 | 3;
  /** Share of each class held out for testing in the flat layout; default 0.2. */
  testShare?: number;
  /** Seed of the flat layout's split; default 0. */
  seed?: number;
}

interface Entry {
  readonly file: string;
  readonly label: number;
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;

async function subfolders(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => !name.startsWith('.'));
  const kinds = await Promise.all(names.map((name) => pathKind(join(dir, name))));
  return names.filter((_, i) => kinds[i] === 'dir').sort();
}

async function imageFiles(dir: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((name) => IMAGE_EXT.test(name) && !name.startsWith('.'))
    .sort()
    .map((name) => join(dir, name));
}

function noClasses(dir: string): QcbError {
  return new QcbError('E_DATA', `image folder ${dir} has no class subfolders; expected ${dir}/<class>/*.png|jpg|jpeg or ${dir}/train/<class>/... and ${dir}/test/<class>/...`);
}

async function classFiles(root: string, classes: readonly string[], requireImages: boolean): Promise<string[][]> {
  return Promise.all(
    classes.map(async (name) => {
      const dir = join(root, name);
      if ((await pathKind(dir)) !== 'dir') return [];
      const files = await imageFiles(dir);
      if (requireImages && files.length === 0) {
        throw new QcbError('E_DATA', `class folder ${dir} holds no .png, .jpg or .jpeg images`);
      }
      return files;
    }),
  );
}

function toEntries(perClass: readonly string[][]): Entry[] {
  return perClass.flatMap((files, label) => files.map((file) => ({ file, label })));
}

/** Holds out round(n * testShare) images of each class (keeping at least one for training). */
function splitPerClass(perClass: readonly string[][], testShare: number, seed: number): { train: Entry[]; test: Entry[] } {
  const rng = mulberry32(seed);
  const train: Entry[] = [];
  const test: Entry[] = [];
  perClass.forEach((files, label) => {
    const order = shuffleInPlace(Int32Array.from(files, (_, i) => i), rng);
    const testCount = Math.min(files.length - 1, Math.round(files.length * testShare));
    const held = new Set(order.subarray(0, testCount));
    files.forEach((file, i) => (held.has(i) ? test : train).push({ file, label }));
  });
  return { train, test };
}

async function listEntries(dir: string, testShare: number, seed: number): Promise<{ classes: string[]; train: Entry[]; test: Entry[] }> {
  const trainDir = join(dir, 'train');
  const testDir = join(dir, 'test');
  if ((await pathKind(trainDir)) === 'dir' && (await pathKind(testDir)) === 'dir') {
    const classes = await subfolders(trainDir);
    if (classes.length === 0) throw noClasses(trainDir);
    const stray = (await subfolders(testDir)).filter((name) => !classes.includes(name));
    if (stray.length > 0) {
      throw new QcbError('E_DATA', `test class folder ${join(testDir, stray[0])} has no matching folder in ${trainDir}`);
    }
    const train = toEntries(await classFiles(trainDir, classes, true));
    const test = toEntries(await classFiles(testDir, classes, false));
    return { classes, train, test };
  }
  const classes = await subfolders(dir);
  if (classes.length === 0) throw noClasses(dir);
  return { classes, ...splitPerClass(await classFiles(dir, classes, true), testShare, seed) };
}

async function decodeAll(entries: readonly Entry[]): Promise<RgbaImage[]> {
  const images: RgbaImage[] = [];
  for (const { file } of entries) images.push(decodeImage(await readBytes(file), file));
  return images;
}

function checkSizes(entries: readonly Entry[], images: readonly RgbaImage[], reference: string, h: number, w: number): void {
  images.forEach((image, i) => {
    if (image.height !== h || image.width !== w) {
      throw new QcbError(
        'E_DATA',
        `image ${entries[i].file} is ${image.height}x${image.width} but ${reference} is ${h}x${w}; pass a size to resize all images`,
      );
    }
  });
}

function assemble(entries: readonly Entry[], images: readonly RgbaImage[], shape: [number, number, number]): ImageSet {
  const [h, w, c] = shape;
  const stride = h * w * c;
  const pixels = new Float32Array(images.length * stride);
  images.forEach((image, i) => writePixels(image, h, w, c as 1 | 3, pixels, i * stride));
  return { images: pixels, labels: Int32Array.from(entries, (e) => e.label), count: entries.length, shape };
}

function checkOptions(options: ImageFolderOptions): void {
  const { size, channels, testShare } = options;
  if (size !== undefined && !(size.length === 2 && size.every((v) => Number.isInteger(v) && v > 0))) {
    throw new QcbError('E_USAGE', `image folder size must be [height, width] of positive integers, got [${size.join(', ')}]`);
  }
  if (channels !== undefined && channels !== 1 && channels !== 3) {
    throw new QcbError('E_USAGE', `image folder channels must be 1 or 3, got ${String(channels)}`);
  }
  if (testShare !== undefined && !(testShare >= 0 && testShare < 1)) {
    throw new QcbError('E_USAGE', `image folder testShare must be in [0, 1), got ${testShare}`);
  }
}

/**
 * Loads labelled images from dir/train/<class>/ + dir/test/<class>/, or from
 * dir/<class>/ split per class by a seeded shuffle. Classes are the sorted folder names.
 */
export async function loadImageFolder(dir: string, options: ImageFolderOptions = {}): Promise<Dataset> {
  checkOptions(options);
  if ((await pathKind(dir)) !== 'dir') throw new QcbError('E_DATA', `image folder ${dir} not found`);
  const { classes, train, test } = await listEntries(dir, options.testShare ?? 0.2, options.seed ?? 0);
  const trainImages = await decodeAll(train);
  const testImages = await decodeAll(test);
  const [h, w] = options.size ?? [trainImages[0].height, trainImages[0].width];
  if (options.size === undefined) {
    checkSizes(train, trainImages, train[0].file, h, w);
    checkSizes(test, testImages, train[0].file, h, w);
  }
  const channels = options.channels ?? (trainImages.every(isGray) && testImages.every(isGray) ? 1 : 3);
  const shape: [number, number, number] = [h, w, channels];
  const trainSet = assemble(train, trainImages, shape);
  return {
    name: 'folder',
    classes: classes.length,
    labelNames: classes,
    train: trainSet,
    test: assemble(test, testImages, shape),
    normalization: computeNormalization(trainSet),
    source: dir,
  };
}
