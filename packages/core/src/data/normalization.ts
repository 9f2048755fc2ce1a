import type { ImageSet, Normalization } from './image-set.js';

/** Per-channel mean and (population) standard deviation of a set's pixels. */
export function computeNormalization(set: ImageSet): Normalization {
  const channels = set.shape[2];
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  const px = set.images;
  for (let i = 0; i < px.length; i++) {
    const v = px[i];
    const c = i % channels;
    sum[c] += v;
    sumSq[c] += v * v;
  }
  const n = px.length / channels;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < channels; c++) {
    const m = n > 0 ? sum[c] / n : 0;
    const s = n > 0 ? Math.sqrt(Math.max(0, sumSq[c] / n - m * m)) : 0;
    mean.push(m);
    // A constant channel would divide by zero; leave its scale alone instead.
    std.push(s > 1e-6 ? s : 1);
  }
  return { mean, std };
}
