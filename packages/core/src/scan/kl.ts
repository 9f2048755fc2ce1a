import { QcbError } from '../errors.js';

/** Default additive smoothing of a normalised histogram (probability per bin). */
export const DEFAULT_KL_EPSILON = 1e-6;

/**
 * A histogram as a distribution: counts normalised to sum 1, then `epsilon` added to every
 * bin and renormalised, so that an empty bin has a small non-zero probability and KL stays
 * finite.
 */
export function smoothedDistribution(counts: ArrayLike<number>, epsilon = DEFAULT_KL_EPSILON): Float64Array {
  if (!(epsilon > 0)) throw new QcbError('E_USAGE', `smoothing epsilon must be > 0, got ${epsilon}`);
  const n = counts.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (!(counts[i] >= 0)) throw new QcbError('E_USAGE', `histogram counts must be >= 0, got ${counts[i]} in bin ${i}`);
    total += counts[i];
  }
  const out = new Float64Array(n);
  const z = 1 + n * epsilon;
  // An empty histogram carries no information: the uniform distribution.
  for (let i = 0; i < n; i++) out[i] = total > 0 ? (counts[i] / total + epsilon) / z : 1 / n;
  return out;
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

/** KL(fp || quantized) of two histograms over the same bins, both smoothed with `epsilon`. */
export function histogramKl(p: ArrayLike<number>, q: ArrayLike<number>, epsilon = DEFAULT_KL_EPSILON): number {
  return klDivergence(smoothedDistribution(p, epsilon), smoothedDistribution(q, epsilon));
}
