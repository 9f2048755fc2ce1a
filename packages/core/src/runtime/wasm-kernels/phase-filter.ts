import type { AxisPhase } from './transposed-conv.js';

/**
 * Builds the filter of one transposed-conv phase from a [KH, KW, A, B] filter:
 * the taps firstTap, firstTap + stride, ... of each axis, spatially flipped.
 * With `swapLastAxes` the result is [MH, MW, B, A] (a conv2d filter seen from
 * dy's side), otherwise [MH, MW, A, B]. A larger `grid` appends zero taps
 * after the real ones along each axis.
 *
 * Done in JS because filters are tiny next to activations, and on wasm one
 * read plus one upload beats a StridedSlice + Reverse + Transpose kernel chain.
 */
export function flippedPhaseFilter(
  values: ArrayLike<number>,
  shape: readonly [number, number, number, number],
  h: AxisPhase,
  w: AxisPhase,
  strides: readonly [number, number],
  swapLastAxes: boolean,
  grid: readonly [number, number] = [h.numTaps, w.numTaps],
): Float32Array {
  const [, filterWidth, a, b] = shape;
  const tapSize = a * b;
  const out = new Float32Array(grid[0] * grid[1] * tapSize);
  for (let i = 0; i < h.numTaps; i++) {
    const kh = h.firstTap + strides[0] * (h.numTaps - 1 - i);
    for (let j = 0; j < w.numTaps; j++) {
      const kw = w.firstTap + strides[1] * (w.numTaps - 1 - j);
      const tap = (kh * filterWidth + kw) * tapSize;
      let offset = (i * grid[1] + j) * tapSize;
      if (swapLastAxes) {
        for (let q = 0; q < b; q++) {
          for (let p = 0; p < a; p++) {
            out[offset++] = values[tap + p * b + q];
          }
        }
      } else {
        for (let k = 0; k < tapSize; k++) {
          out[offset++] = values[tap + k];
        }
      }
    }
  }
  return out;
}
