import { resizeBicubicAlignCorners } from './bicubic.js';
import { mulberry32 } from './random.js';

export interface WarpOptions {
  /** Side of the random control grid. */
  readonly k: number;
  /** Warping strength. */
  readonly s: number;
  readonly seed: number;
}

/**
 * WaNet's fixed warping grid (Nguyen & Tran, ICLR 2021), as in the authors' code
 * (VinAIResearch/Warping-based_Backdoor_Attack-release):
 *   ins   = rand(2, k, k) * 2 - 1;  ins /= mean(|ins|)
 *   noise = upsample_bicubic(ins, H x W, align_corners)
 *   grid  = clamp(identity + s * noise / H, -1, 1)      (normalised coordinates)
 * Returned in pixel units, interleaved (x, y) per pixel, H x W x 2; with aligned corners a
 * normalised offset d is d * (size - 1) / 2 pixels. Working in pixels keeps s = 0 exact.
 */
export function wanetSampleGrid(h: number, w: number, { k, s, seed }: WarpOptions): Float32Array {
  const random = mulberry32(seed);
  const ins = Float32Array.from({ length: 2 * k * k }, () => random() * 2 - 1);
  const meanAbs = ins.reduce((sum, v) => sum + Math.abs(v), 0) / ins.length;
  if (meanAbs > 0) for (let i = 0; i < ins.length; i++) ins[i] /= meanAbs;
  const noiseX = resizeBicubicAlignCorners(ins.subarray(0, k * k), k, k, h, w);
  const noiseY = resizeBicubicAlignCorners(ins.subarray(k * k), k, k, h, w);

  const toPixelsX = (s / h) * ((w - 1) / 2);
  const toPixelsY = (s / h) * ((h - 1) / 2);
  const grid = new Float32Array(h * w * 2);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const p = r * w + c;
      grid[2 * p] = Math.min(Math.max(c + toPixelsX * noiseX[p], 0), w - 1);
      grid[2 * p + 1] = Math.min(Math.max(r + toPixelsY * noiseY[p], 0), h - 1);
    }
  }
  return grid;
}
