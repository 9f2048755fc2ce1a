import { QcbError } from '../errors.js';
import { gather } from './gather.js';
import type { ImageSet } from './image-set.js';
import { mulberry32, shuffleInPlace } from './random.js';

/** A Fisher–Yates permutation of 0..n-1 driven by mulberry32(seed). */
export function seededPermutation(n: number, seed: number): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new QcbError('E_USAGE', `permutation length must be a non-negative integer, got ${n}`);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return shuffleInPlace(order, mulberry32(seed));
}

/** A copy of the images at the given indices, in that order. */
export function subset(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  return { ...gather(set, indices), count: indices.length, shape: set.shape };
}

export interface DefenderSubset extends ImageSet {
  /** e.g. 'defender-5%-seed0'. */
  readonly name: string;
  /** Positions of the chosen images in the training set, ascending. */
  readonly indices: Int32Array;
}

function percent(share: number): string {
  return String(Number((share * 100).toFixed(4)));
}

/**
 * The defender's reproducible share of the training set: from each class,
 * the first round(share * classSize) images (at least one) met in a seeded permutation.
 */
export function defenderSubset(train: ImageSet, share = 0.05, seed = 0): DefenderSubset {
  if (!(share > 0 && share <= 1)) throw new QcbError('E_USAGE', `defender share must be in (0, 1], got ${share}`);
  const classSize = new Map<number, number>();
  for (let i = 0; i < train.count; i++) classSize.set(train.labels[i], (classSize.get(train.labels[i]) ?? 0) + 1);
  const wanted = new Map<number, number>();
  for (const [label, size] of classSize) wanted.set(label, Math.max(1, Math.round(share * size)));
  const chosen: number[] = [];
  for (const i of seededPermutation(train.count, seed)) {
    const label = train.labels[i];
    const left = wanted.get(label) ?? 0;
    if (left > 0) {
      chosen.push(i);
      wanted.set(label, left - 1);
    }
  }
  const indices = Int32Array.from(chosen).sort();
  return { ...subset(train, indices), name: `defender-${percent(share)}%-seed${seed}`, indices };
}
