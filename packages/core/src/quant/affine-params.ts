import type { QuantParams } from '../kernel/hook-types.js';
import type { Grid } from './grid.js';

/** Smallest scale, so that an all-zero channel still has a valid grid. */
const MIN_SCALE = 1e-8;

/**
 * Scale and zero point for each [min, max] range (as the official LAC code computes them):
 * asymmetric: scale = (max - min) / (qmax - qmin) with min <= 0 <= max, zp = qmin - round(min / scale);
 * symmetric: scale = max(|min|, |max|) / ((qmax - qmin) / 2), zp = 0.
 */
export function paramsFromRange(
  min: ArrayLike<number>,
  max: ArrayLike<number>,
  grid: Grid,
  symmetric: boolean,
  axis: number | null,
): QuantParams {
  const n = min.length;
  const scale = new Float32Array(n);
  const zeroPoint = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const lo = Math.min(min[i], 0);
    const hi = Math.max(max[i], 0);
    if (symmetric) {
      scale[i] = Math.max(Math.max(-lo, hi) / ((grid.qmax - grid.qmin) / 2), MIN_SCALE);
      zeroPoint[i] = 0;
    } else {
      scale[i] = Math.max((hi - lo) / (grid.qmax - grid.qmin), MIN_SCALE);
      zeroPoint[i] = Math.min(grid.qmax, Math.max(grid.qmin, grid.qmin - Math.round(lo / scale[i])));
    }
  }
  return { bits: grid.bits, qmin: grid.qmin, qmax: grid.qmax, axis, scale, zeroPoint };
}

/** The largest step of a grid (its only one when per-tensor): the unit input moves are measured in. */
export function coarsestStep(p: QuantParams): number {
  return Math.max(...p.scale);
}
