import { join } from 'node:path';
import { QcbError } from '../errors.js';
import { pathKind, readBytes } from './fs-checks.js';
import type { Dataset, ImageSet } from './image-set.js';

export const CIFAR10_LABELS: readonly string[] = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

const SIDE = 32;
const PLANE = SIDE * SIDE;
const RECORD = 1 + 3 * PLANE;
const TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const TEST_FILES = ['test_batch.bin'];

/** Checks a batch file's size and labels; returns its record count. */
function checkBatch(bytes: Uint8Array, file: string): number {
  if (bytes.length === 0 || bytes.length % RECORD !== 0) {
    throw new QcbError('E_DATA', `${file} is ${bytes.length} bytes, not a positive multiple of the ${RECORD}-byte CIFAR-10 record`);
  }
  const records = bytes.length / RECORD;
  for (let r = 0; r < records; r++) {
    const label = bytes[r * RECORD];
    if (label >= CIFAR10_LABELS.length) {
      throw new QcbError('E_DATA', `${file} has label ${label} in record ${r}; labels must be below ${CIFAR10_LABELS.length}`);
    }
  }
  return records;
}

/** Reads batch files into one ImageSet, converting channel-planar RGB to NHWC. */
async function readBatches(dir: string, names: readonly string[]): Promise<ImageSet> {
  const files = names.map((name) => join(dir, name));
  const batches = await Promise.all(files.map((file) => readBytes(file)));
  const counts = batches.map((bytes, i) => checkBatch(bytes, files[i]));
  const count = counts.reduce((a, b) => a + b, 0);
  const images = new Float32Array(count * 3 * PLANE);
  const labels = new Int32Array(count);
  let n = 0;
  for (const bytes of batches) {
    for (let offset = 0; offset < bytes.length; offset += RECORD, n++) {
      labels[n] = bytes[offset];
      const out = n * 3 * PLANE;
      for (let p = 0; p < PLANE; p++) {
        images[out + 3 * p] = bytes[offset + 1 + p] / 255;
        images[out + 3 * p + 1] = bytes[offset + 1 + PLANE + p] / 255;
        images[out + 3 * p + 2] = bytes[offset + 1 + 2 * PLANE + p] / 255;
      }
    }
  }
  return { images, labels, count, shape: [SIDE, SIDE, 3] };
}

/** Uses dir/cifar-10-batches-bin when dir itself holds no batch files. */
async function resolveDir(dir: string): Promise<string> {
  if ((await pathKind(dir)) !== 'dir') {
    throw new QcbError('E_DATA', `CIFAR-10 folder ${dir} not found; pass --data-dir <folder holding data_batch_1.bin>`);
  }
  const nested = join(dir, 'cifar-10-batches-bin');
  if ((await pathKind(join(dir, TRAIN_FILES[0]))) === 'missing' && (await pathKind(nested)) === 'dir') return nested;
  return dir;
}

/** Loads CIFAR-10 from its binary batches (data_batch_1..5.bin, test_batch.bin). */
export async function loadCifar10(dir: string): Promise<Dataset> {
  const root = await resolveDir(dir);
  const [train, test] = await Promise.all([readBatches(root, TRAIN_FILES), readBatches(root, TEST_FILES)]);
  return {
    name: 'cifar10',
    classes: CIFAR10_LABELS.length,
    labelNames: CIFAR10_LABELS,
    train,
    test,
    normalization: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
    augmentation: { padCrop: 4, flip: true },
    source: root,
  };
}
