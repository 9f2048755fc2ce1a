import { QcbError } from '../errors.js';

/**
 * Per-channel histograms of channels-last values over fixed per-channel ranges
 * [lo, hi] split into `bins` equal bins; values outside the range count in the edge bins.
 */
export class ChannelHistograms {
  /** channels x bins counts, row-major. */
  readonly counts: Float64Array;
  private readonly scale: Float64Array;

  constructor(readonly lo: ArrayLike<number>, readonly hi: ArrayLike<number>, readonly bins: number) {
    if (!Number.isInteger(bins) || bins < 1) throw new QcbError('E_USAGE', `bins must be a positive integer, got ${bins}`);
    if (lo.length !== hi.length || lo.length === 0) throw new QcbError('E_USAGE', `histogram ranges need one lo and one hi per channel, got ${lo.length} and ${hi.length}`);
    this.counts = new Float64Array(lo.length * bins);
    // A channel whose range is a single point puts everything in bin 0.
    this.scale = Float64Array.from({ length: lo.length }, (_, k) => (hi[k] > lo[k] ? bins / (hi[k] - lo[k]) : 0));
  }

  get channels(): number {
    return this.lo.length;
  }

  add(values: ArrayLike<number>): void {
    const c = this.channels;
    if (values.length % c !== 0) throw new QcbError('E_USAGE', `${values.length} values do not split into ${c} channels`);
    const { counts, scale, lo, bins } = this;
    const last = bins - 1;
    for (let i = 0; i < values.length; i++) {
      const k = i % c;
      let b = Math.floor((values[i] - lo[k]) * scale[k]);
      if (b < 0) b = 0;
      else if (b > last) b = last;
      counts[k * bins + b]++;
    }
  }

  /** The counts of one channel (a view). */
  channel(k: number): Float64Array {
    return this.counts.subarray(k * this.bins, (k + 1) * this.bins);
  }
}
