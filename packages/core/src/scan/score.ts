/** The default number of most drifting neurons the suspicion score averages. */
export const DEFAULT_SCORE_TOP = 5;

function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return 0;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

export interface SuspicionScore {
  /** `topKl / medianKl`. */
  readonly score: number;
  /** Mean KL of the `k` most drifting neurons of the whole model. */
  readonly topKl: number;
  /** KL of the median neuron. */
  readonly medianKl: number;
  readonly k: number;
  readonly neurons: number;
}

/**
 * One number per model and profile: the mean KL of the k most drifting neurons divided by
 * the median neuron's KL. Quantization moves every neuron a little; a QCB makes a few
 * backdoor neurons drift far more than the rest (the paper's Figure 1: backdoor neurons
 * drift, benign ones barely do), so the ratio of the tail to the bulk is what separates
 * them, and dividing by the model's own median makes it comparable across models and
 * bit widths (a 4-bit grid shifts every neuron more than an 8-bit one).
 */
export function suspicionScore(kls: readonly ArrayLike<number>[], k = DEFAULT_SCORE_TOP): SuspicionScore {
  const all: number[] = [];
  for (const unit of kls) for (let i = 0; i < unit.length; i++) all.push(unit[i]);
  all.sort((a, b) => a - b);
  const kk = Math.max(1, Math.min(k, all.length));
  const top = all.slice(all.length - kk);
  const topKl = top.length > 0 ? top.reduce((s, v) => s + v, 0) / top.length : 0;
  const medianKl = median(all);
  // A model that does not drift at all scores 1 (no tail), not 0/0.
  const score = topKl === 0 ? 1 : topKl / Math.max(medianKl, 1e-12);
  return { score, topKl, medianKl, k: kk, neurons: all.length };
}
