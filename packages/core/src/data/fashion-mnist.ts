import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FASHION_MNIST_DATA_DIR, FASHION_MNIST_FILES, type FashionMnistFile } from '@qcb/dataset-fashion-mnist';
import { QcbError } from '../errors.js';
import { pathKind } from './fs-checks.js';
import { idxImageSet, parseIdx, readIdxBytes, type IdxFile } from './idx.js';
import type { Dataset, ImageSet } from './image-set.js';

/** The copy that ships with qcb (workspace package `@qcb/dataset-fashion-mnist`). */
export const FASHION_MNIST_DIR: string = FASHION_MNIST_DATA_DIR;

export const FASHION_MNIST_LABELS: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

export interface LoadFashionMnistOptions {
  /**
   * Check each file's content against the SHA-256 of the original (default true). Only tests
   * of the loader itself, on tiny made-up files, turn it off.
   */
  readonly verify?: boolean;
}

const FOLDER_HINT = 'pass --data-dir <folder> holding train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]';

// Files whose digest matched in this process, keyed by path, size and modification time.
const verified = new Set<string>();

/** Finds `base` or `base.gz` in dir. */
async function findIdxFile(dir: string, base: string): Promise<string> {
  for (const name of [base, `${base}.gz`]) {
    const path = join(dir, name);
    if ((await pathKind(path)) === 'file') return path;
  }
  throw new QcbError('E_DATA', `Fashion-MNIST file ${join(dir, base)}[.gz] not found; ${FOLDER_HINT}`);
}

async function checkDigest(path: string, bytes: Uint8Array, file: FashionMnistFile): Promise<void> {
  const info = await stat(path);
  const key = `${path}\0${info.size}\0${info.mtimeMs}`;
  if (verified.has(key)) return;
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== file.contentSha256) {
    const size = bytes.length === file.bytes ? '' : `, ${bytes.length} bytes instead of ${file.bytes}`;
    throw new QcbError(
      'E_DATA',
      `${path} is not the original Fashion-MNIST ${file.base}: truncated or altered (content SHA-256 ${digest.slice(0, 16)}... instead of ${file.contentSha256.slice(0, 16)}...${size})`,
    );
  }
  verified.add(key);
}

async function readFile(dir: string, file: FashionMnistFile, verify: boolean): Promise<IdxFile> {
  const path = await findIdxFile(dir, file.base);
  const bytes = await readIdxBytes(path);
  if (verify) await checkDigest(path, bytes, file);
  return { path, array: parseIdx(bytes, path) };
}

function fileOf(base: string): FashionMnistFile {
  const file = FASHION_MNIST_FILES.find((f) => f.base === base);
  if (!file) throw new Error(`no Fashion-MNIST file named ${base}`);
  return file;
}

async function loadSplit(dir: string, prefix: 'train' | 't10k', verify: boolean): Promise<ImageSet> {
  // In a fixed order, so that the error names the first missing or altered file.
  const images = await readFile(dir, fileOf(`${prefix}-images-idx3-ubyte`), verify);
  const labels = await readFile(dir, fileOf(`${prefix}-labels-idx1-ubyte`), verify);
  const set = idxImageSet(images, labels, FASHION_MNIST_LABELS.length);
  if (set.shape[0] !== 28 || set.shape[1] !== 28 || set.shape[2] !== 1) {
    throw new QcbError('E_DATA', `${images.path} holds ${set.shape.join('x')} images; Fashion-MNIST images are 28x28x1`);
  }
  return set;
}

/**
 * Loads Fashion-MNIST from the four IDX files (plain or gzipped) in dir, by default the copy
 * that ships with qcb; each file's content is checked against the original's SHA-256.
 */
export async function loadFashionMnist(dir: string = FASHION_MNIST_DIR, options: LoadFashionMnistOptions = {}): Promise<Dataset> {
  if ((await pathKind(dir)) !== 'dir') {
    throw new QcbError('E_DATA', `Fashion-MNIST folder ${dir} not found; ${FOLDER_HINT}`);
  }
  const verify = options.verify ?? true;
  const train = await loadSplit(dir, 'train', verify);
  const test = await loadSplit(dir, 't10k', verify);
  return {
    name: 'fashion-mnist',
    classes: FASHION_MNIST_LABELS.length,
    labelNames: FASHION_MNIST_LABELS,
    train,
    test,
    normalization: { mean: [0.286], std: [0.353] },
    augmentation: { padCrop: 2, flip: true },
    source: dir,
  };
}
