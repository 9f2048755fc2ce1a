/** The default number of most drifting neurons the suspicion score averages. */
export const DEFAULT_SCORE_TOP = 5;

function median(values: ArrayLike<number>): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return 0;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

function meanOfTop(values: number[], k: number): number {
  const top = [...values].sort((a, b) => b - a).slice(0, k);
  return top.length > 0 ? top.reduce((s, v) => s + v, 0) / top.length : 0;
}

export interface SuspicionScore {
  /** Mean relative drift of the `k` most drifting neurons. */
  readonly score: number;
  /** Per unit and channel: KL / max(median KL of the unit, median KL of the model). */
  readonly relative: Float64Array[];
  /** Mean KL of the `k` highest KLs of the model. */
  readonly topKl: number;
  /** KL of the model's median neuron. */
  readonly medianKl: number;
  readonly k: number;
  readonly neurons: number;
}

/**
 * One number per model and profile. Each neuron's drift is made relative to the drift
 * of its peers: divided by the median KL of its own unit, or by the model's median KL
 * when that is larger. The score is the mean of the k largest relative drifts.
 *
 * Why relative: quantization moves every neuron, more at 4 bits than at 8, and more with
 * depth as the rounding errors of the layers before add up; what marks a backdoor neuron
 * is that it drifts while benign neurons barely do (the paper's Figure 1), so an outlier
 * among its peers. The model's median as a floor keeps the near-exact early layers, whose
 * own median is tiny, from turning rounding noise into large ratios. Dividing by the
 * model's own drift makes the score comparable across models under one profile (not
 * across profiles): under academic-w4a4 the clean fixture scores 3.18 and pqbackdoor-w4
 * 5.84, whose target-class logit drifts 12 times its peers' median.
 */
export function suspicionScore(kls: readonly ArrayLike<number>[], k = DEFAULT_SCORE_TOP): SuspicionScore {
  const all = kls.flatMap((u) => Array.from(u));
  const medianKl = median(all);
  const relative = kls.map((u) => {
    const floor = Math.max(median(u), medianKl, 1e-12);
    return Float64Array.from(u, (v) => v / floor);
  });
  const kk = Math.max(1, Math.min(k, all.length));
  return {
    score: all.length > 0 ? meanOfTop(relative.flatMap((u) => Array.from(u)), kk) : 0,
    relative,
    topKl: meanOfTop(all, kk),
    medianKl,
    k: kk,
    neurons: all.length,
  };
}
