import { join } from 'node:path';
import { QcbError } from '../errors.js';
import { pathKind } from './fs-checks.js';
import { readIdxImageSet } from './idx.js';
import type { Dataset, ImageSet } from './image-set.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

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

const INSTALL_HINT = 'install it with `apt-get install dataset-fashion-mnist` or pass --data-dir <folder>';

/** Finds `base` or `base.gz` in dir. */
async function findIdxFile(dir: string, base: string): Promise<string> {
  for (const name of [base, `${base}.gz`]) {
    const path = join(dir, name);
    if ((await pathKind(path)) === 'file') return path;
  }
  throw new QcbError('E_DATA', `Fashion-MNIST file ${join(dir, base)}[.gz] not found; ${INSTALL_HINT}`);
}

async function loadSplit(dir: string, prefix: 'train' | 't10k'): Promise<ImageSet> {
  // In a fixed order, so that the error names the first missing file.
  const images = await findIdxFile(dir, `${prefix}-images-idx3-ubyte`);
  const labels = await findIdxFile(dir, `${prefix}-labels-idx1-ubyte`);
  const set = await readIdxImageSet(images, labels, FASHION_MNIST_LABELS.length);
  if (set.shape[0] !== 28 || set.shape[1] !== 28 || set.shape[2] !== 1) {
    throw new QcbError('E_DATA', `${images} holds ${set.shape.join('x')} images; Fashion-MNIST images are 28x28x1`);
  }
  return set;
}

/** Loads Fashion-MNIST from the four IDX files (plain or gzipped) in dir. */
export async function loadFashionMnist(dir: string = FASHION_MNIST_DIR): Promise<Dataset> {
  if ((await pathKind(dir)) !== 'dir') {
    throw new QcbError('E_DATA', `Fashion-MNIST folder ${dir} not found; ${INSTALL_HINT}`);
  }
  const train = await loadSplit(dir, 'train');
  const test = await loadSplit(dir, 't10k');
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
