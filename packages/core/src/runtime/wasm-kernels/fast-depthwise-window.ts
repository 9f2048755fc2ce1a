/**
 * XNNPACK in tfjs-backend-wasm 4.22 has fast depthwise microkernels only for
 * 1, 3, 4, 9 and 25 taps; other window sizes (2, 6, 8, 16, ...) take a path
 * measured 5-15x slower. Zero taps are free by comparison, so a window is
 * grown to the smallest fast one that contains it.
 */
const FAST_WINDOWS: readonly (readonly [number, number])[] = [
  [1, 1],
  [1, 3],
  [3, 1],
  [2, 2],
  [1, 4],
  [4, 1],
  [3, 3],
  [5, 5],
];

export function fastDepthwiseWindow(height: number, width: number): [number, number] {
  for (const [h, w] of FAST_WINDOWS) {
    if (h >= height && w >= width) {
      return [h, w];
    }
  }
  return [height, width];
}
