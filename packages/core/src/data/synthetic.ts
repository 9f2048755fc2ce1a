import { QcbError } from '../errors.js';
import type { Dataset, ImageSet } from './image-set.js';
import { mulberry32, type Rng } from './random.js';

export interface SyntheticOptions {
  /** Default 4. */
  classes?: number;
  /** [H, W, C]; default [8, 8, 1]. */
  shape?: [number, number, number];
  /** Default 256. */
  trainCount?: number;
  /** Default 64. */
  testCount?: number;
  /** Default 0. */
  seed?: number;
  /** Amplitude of the uniform pixel noise; default 0.1. */
  noise?: number;
}

const BRIGHT = 0.8;
const DARK = 0.2;

/** Each class lights up its own cell of a near-square grid laid over the image. */
interface Grid {
  readonly cols: number;
  readonly cellH: number;
  readonly cellW: number;
}

function inCell(grid: Grid, label: number, y: number, x: number): boolean {
  const row = Math.floor(label / grid.cols);
  const col = label % grid.cols;
  return Math.floor(y / grid.cellH) === row && Math.floor(x / grid.cellW) === col;
}

function makeSet(count: number, classes: number, shape: [number, number, number], grid: Grid, noise: number, rng: Rng): ImageSet {
  const [h, w, c] = shape;
  const images = new Float32Array(count * h * w * c);
  const labels = new Int32Array(count);
  let o = 0;
  for (let n = 0; n < count; n++) {
    const label = n % classes;
    labels[n] = label;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const base = inCell(grid, label, y, x) ? BRIGHT : DARK;
        for (let k = 0; k < c; k++) {
          images[o++] = Math.min(1, Math.max(0, base + (2 * rng() - 1) * noise));
        }
      }
    }
  }
  return { images, labels, count, shape };
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new QcbError('E_USAGE', `synthetic dataset ${name} must be an integer >= ${min}, got ${value}`);
  }
}

/** A small, seeded, learnable dataset: class k brightens grid cell k, plus seeded noise. */
export function syntheticDataset(options: SyntheticOptions = {}): Dataset {
  const classes = options.classes ?? 4;
  const shape = options.shape ?? [8, 8, 1];
  const trainCount = options.trainCount ?? 256;
  const testCount = options.testCount ?? 64;
  const noise = options.noise ?? 0.1;
  checkCount('classes', classes, 1);
  shape.forEach((v, i) => checkCount(`shape[${i}]`, v, 1));
  checkCount('trainCount', trainCount, 0);
  checkCount('testCount', testCount, 0);
  if (!(noise >= 0 && noise <= 1)) throw new QcbError('E_USAGE', `synthetic dataset noise must be in [0, 1], got ${noise}`);
  const cols = Math.ceil(Math.sqrt(classes));
  const rows = Math.ceil(classes / cols);
  const grid: Grid = { cols, cellH: Math.floor(shape[0] / rows), cellW: Math.floor(shape[1] / cols) };
  if (grid.cellH < 1 || grid.cellW < 1) {
    throw new QcbError('E_USAGE', `synthetic dataset: ${classes} classes need images of at least ${rows}x${cols}, got ${shape[0]}x${shape[1]}`);
  }
  const rng = mulberry32(options.seed ?? 0);
  const train = makeSet(trainCount, classes, shape, grid, noise, rng);
  const test = makeSet(testCount, classes, shape, grid, noise, rng);
  return {
    name: 'synthetic',
    classes,
    labelNames: Array.from({ length: classes }, (_, i) => `class-${i}`),
    train,
    test,
    normalization: { mean: new Array<number>(shape[2]).fill(0.5), std: new Array<number>(shape[2]).fill(0.25) },
  };
}
