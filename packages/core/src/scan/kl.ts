import { QcbError } from '../errors.js';

/** Default pseudo-count added to every bin before normalising (the Krichevsky-Trofimov estimator's 1/2). */
export const DEFAULT_KL_EPSILON = 0.5;

/**
 * A histogram as a distribution: `epsilon` added to every bin's count, then normalised,
 * so that an empty bin keeps a non-zero probability and KL stays finite. A pseudo-count
 * (rather than a probability floor) fades as the counts grow: a neuron seen a few dozen
 * times (a dense unit, one value per image) is not called drifting because its sparse
 * histograms happen to miss each other's bins.
 */
export function smoothedDistribution(counts: ArrayLike<number>, epsilon = DEFAULT_KL_EPSILON): Float64Array {
  if (!(epsilon > 0)) throw new QcbError('E_USAGE', `smoothing epsilon must be > 0, got ${epsilon}`);
  const n = counts.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (!(counts[i] >= 0)) throw new QcbError('E_USAGE', `histogram counts must be >= 0, got ${counts[i]} in bin ${i}`);
    total += counts[i];
  }
  const z = total + n * epsilon;
  return Float64Array.from({ length: n }, (_, i) => (counts[i] + epsilon) / z);
}

/** KL(p || q) = sum p log(p / q) in nats, for distributions over the same bins (q > 0 wherever p > 0). */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new QcbError('E_USAGE', `KL needs distributions over the same bins, got ${p.length} and ${q.length}`);
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] > 0) kl += p[i] * Math.log(p[i] / q[i]);
  }
  // Rounding can leave a tiny negative sum for identical distributions.
  return Math.max(0, kl);
}

/** KL(fp || quantized) of two histograms over the same bins, both smoothed with the pseudo-count `epsilon`. */
export function histogramKl(p: ArrayLike<number>, q: ArrayLike<number>, epsilon = DEFAULT_KL_EPSILON): number {
  return klDivergence(smoothedDistribution(p, epsilon), smoothedDistribution(q, epsilon));
}
