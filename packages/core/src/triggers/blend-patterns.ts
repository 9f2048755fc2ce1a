import { QcbError } from '../errors.js';
import { mulberry32 } from './random.js';
import type { InputShape } from './trigger.js';

/**
 * Patterns a blend trigger mixes in, each an H x W x C image in [0, 1] (NHWC order):
 * - 'noise' (default): uniform noise from mulberry32(seed), as in Chen et al. 2017's
 *   random-pattern blended injection.
 * - 'stripes': vertical stripes one pixel wide, columns 0, 2, 4, ... white, the rest black.
 * - 'checkerboard': pixel (r, c) white when r + c is even, black otherwise.
 * Only 'noise' uses the seed.
 */
export const BLEND_PATTERNS = ['noise', 'stripes', 'checkerboard'] as const;

export type BlendPatternName = (typeof BLEND_PATTERNS)[number];

export function isBlendPatternName(name: string): name is BlendPatternName {
  return (BLEND_PATTERNS as readonly string[]).includes(name);
}

export function blendPattern(name: string, shape: InputShape, seed: number): Float32Array {
  const [h, w, c] = shape;
  const out = new Float32Array(h * w * c);
  if (name === 'noise') {
    const random = mulberry32(seed);
    for (let i = 0; i < out.length; i++) out[i] = random();
    return out;
  }
  if (name !== 'stripes' && name !== 'checkerboard') {
    throw new QcbError('E_USAGE', `blend trigger: unknown pattern "${name}" (available: ${BLEND_PATTERNS.join(', ')})`);
  }
  for (let r = 0; r < h; r++) {
    for (let col = 0; col < w; col++) {
      const on = name === 'stripes' ? col % 2 === 0 : (r + col) % 2 === 0;
      out.fill(on ? 1 : 0, (r * w + col) * c, (r * w + col + 1) * c);
    }
  }
  return out;
}
