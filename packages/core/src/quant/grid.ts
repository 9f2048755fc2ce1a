import { QcbError } from '../errors.js';

/** The integer levels of a quantization grid. */
export interface Grid {
  readonly bits: number;
  readonly qmin: number;
  readonly qmax: number;
}

export function gridFor(bits: number, symmetric: boolean, options: { narrowRange?: boolean; reduceRange?: boolean } = {}): Grid {
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) {
    throw new QcbError('E_USAGE', `quantization bits must be an integer from 2 to 8, got ${bits}`);
  }
  const b = options.reduceRange ? bits - 1 : bits;
  if (!symmetric) return { bits, qmin: 0, qmax: 2 ** b - 1 };
  const half = 2 ** (b - 1);
  return { bits, qmin: options.narrowRange ? -(half - 1) : -half, qmax: half - 1 };
}
