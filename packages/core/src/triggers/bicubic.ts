// Keys cubic convolution with a = -0.75, the kernel PyTorch's `upsample_bicubic2d` uses.
const A = -0.75;

/** Kernel weight for 0 <= |x| <= 1. */
function near(x: number): number {
  return ((A + 2) * x - (A + 3)) * x * x + 1;
}

/** Kernel weight for 1 < |x| < 2. */
function far(x: number): number {
  return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
}

/**
 * Bicubic resize of a single-channel `inH` x `inW` grid (row-major) to `outH` x `outW`
 * with aligned corners, matching `F.interpolate(mode='bicubic', align_corners=True)`:
 * source index = dst * (in - 1) / (out - 1), neighbours clamped at the border.
 */
export function resizeBicubicAlignCorners(src: Float32Array, inH: number, inW: number, outH: number, outW: number): Float32Array {
  // The kernel is separable: resize the rows first, then the columns.
  const rows = new Float32Array(inH * outW);
  for (let r = 0; r < inH; r++) {
    resize1d(src, r * inW, 1, inW, rows, r * outW, 1, outW);
  }
  const out = new Float32Array(outH * outW);
  for (let c = 0; c < outW; c++) {
    resize1d(rows, c, outW, inH, out, c, outW, outH);
  }
  return out;
}

function resize1d(
  src: Float32Array, srcStart: number, srcStride: number, inN: number,
  dst: Float32Array, dstStart: number, dstStride: number, outN: number,
): void {
  const scale = outN > 1 ? (inN - 1) / (outN - 1) : 0;
  const at = (i: number): number => src[srcStart + Math.min(Math.max(i, 0), inN - 1) * srcStride];
  for (let o = 0; o < outN; o++) {
    const real = o * scale;
    const i = Math.floor(real);
    const t = real - i;
    dst[dstStart + o * dstStride] =
      far(t + 1) * at(i - 1) + near(t) * at(i) + near(1 - t) * at(i + 1) + far(2 - t) * at(i + 2);
  }
}
