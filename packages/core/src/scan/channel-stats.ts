import { QcbError } from '../errors.js';

/**
 * Running per-channel minimum, maximum, mean and standard deviation of channels-last values
 * (the last axis is the channel), accumulated over batches.
 */
export class ChannelStats {
  readonly min: Float64Array;
  readonly max: Float64Array;
  private readonly sum: Float64Array;
  private readonly sumSquares: Float64Array;
  private perChannel = 0;

  constructor(readonly channels: number) {
    if (!Number.isInteger(channels) || channels < 1) throw new QcbError('E_USAGE', `channel count must be a positive integer, got ${channels}`);
    this.min = new Float64Array(channels).fill(Infinity);
    this.max = new Float64Array(channels).fill(-Infinity);
    this.sum = new Float64Array(channels);
    this.sumSquares = new Float64Array(channels);
  }

  add(values: ArrayLike<number>): void {
    const c = this.channels;
    if (values.length % c !== 0) throw new QcbError('E_USAGE', `${values.length} values do not split into ${c} channels`);
    const { min, max, sum, sumSquares } = this;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const k = i % c;
      if (v < min[k]) min[k] = v;
      if (v > max[k]) max[k] = v;
      sum[k] += v;
      sumSquares[k] += v * v;
    }
    this.perChannel += values.length / c;
  }

  /** Values seen per channel. */
  get count(): number {
    return this.perChannel;
  }

  mean(k: number): number {
    return this.perChannel > 0 ? this.sum[k] / this.perChannel : 0;
  }

  std(k: number): number {
    if (this.perChannel === 0) return 0;
    const m = this.mean(k);
    return Math.sqrt(Math.max(0, this.sumSquares[k] / this.perChannel - m * m));
  }
}
