import * as tf from '@tensorflow/tfjs-core';
import type { Grid } from '../grid.js';
import { paramsFromRange } from '../affine-params.js';
import { asColumns } from './channels.js';
import { combineRanges, minMaxRange, type Range } from './minmax.js';

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Shrink factors of the min-max range tried by the search (the official LAC code tries 80 of them, 1 - 0.01 i). */
export const MSE_CANDIDATES = 80;

/**
 * The range (per channel or per tensor) among `(1 - 0.01 i) * [min, max]` whose
 * quantization error (sum of squares) is lowest: the official LAC code's observer.
 */
export function mseRange(x: tf.Tensor, perChannel: boolean, grid: Grid, symmetric: boolean, maxRows = Infinity): Range {
  return mseRangeOfParts([x], perChannel, grid, symmetric, maxRows);
}

/** Sum of squared quantization errors of every candidate range: [MSE_CANDIDATES, channels]. */
function candidateErrors(cols: tf.Tensor2D, full: Range, grid: Grid, symmetric: boolean): tf.Tensor2D {
  const rows: tf.Tensor1D[] = [];
  for (let i = 0; i < MSE_CANDIDATES; i++) {
    const f = 1 - 0.01 * i;
    const p = paramsFromRange(full.min.map((v) => v * f), full.max.map((v) => v * f), grid, symmetric, 0);
    // A tidy per candidate: the caller's tidy alone would hold every candidate's
    // intermediates (five tensors the size of `cols` each) until the search ends.
    rows.push(
      tf.tidy(() => {
        const scale = tf.tensor1d(p.scale);
        const zp = tf.tensor1d(p.zeroPoint);
        const q = tf.clipByValue(tf.add(tf.round(tf.div(cols, scale)), zp), p.qmin, p.qmax);
        return tf.sum(tf.square(tf.sub(tf.mul(tf.sub(q, zp), scale), cols)), 0);
      }),
    );
  }
  return tf.stack(rows) as tf.Tensor2D;
}

/**
 * mseRange of the concatenation of `parts` along the first axis (a batch observed in
 * micro-batches), without concatenating them: the min-max range and the strided subset of
 * scored rows are the whole tensor's, and the error sums add up part by part.
 */
export function mseRangeOfParts(parts: readonly tf.Tensor[], perChannel: boolean, grid: Grid, symmetric: boolean, maxRows = Infinity): Range {
  const full = combineRanges(parts.map((part) => minMaxRange(part, perChannel)));
  const channels = full.min.length;
  const rowsOf = parts.map((part) => (perChannel ? part.size / part.shape[part.rank - 1] : part.size));
  const count = rowsOf.reduce((a, b) => a + b, 0);
  // Score the candidates on an evenly strided subset of a large tensor (the candidates
  // themselves still come from the full min and max).
  let stride = 1;
  if (count > maxRows) {
    // A stride sharing no factor with the channel count visits every channel.
    const innermost = parts[0].shape[parts[0].rank - 1];
    stride = Math.ceil(count / maxRows);
    while (gcd(stride, innermost) !== 1) stride++;
  }
  const errors = tf.tidy(() => {
    let total: tf.Tensor2D | null = null;
    let offset = 0;
    for (let i = 0; i < parts.length; i++) {
      const rows = rowsOf[i];
      // The first row of this part on the whole tensor's stride.
      const first = (stride - (offset % stride)) % stride;
      offset += rows;
      if (first >= rows) continue;
      let cols = asColumns(parts[i], perChannel);
      if (stride > 1) cols = tf.stridedSlice(cols, [first, 0], [rows, channels], [stride, 1]) as tf.Tensor2D;
      const e = candidateErrors(cols, full, grid, symmetric);
      total = total === null ? e : (tf.add(total, e) as tf.Tensor2D);
    }
    return total!;
  });
  const err = errors.dataSync();
  errors.dispose();
  const min = new Float32Array(channels);
  const max = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let best = 0;
    for (let i = 1; i < MSE_CANDIDATES; i++) if (err[i * channels + c] < err[best * channels + c]) best = i;
    min[c] = full.min[c] * (1 - 0.01 * best);
    max[c] = full.max[c] * (1 - 0.01 * best);
  }
  return { min, max };
}
