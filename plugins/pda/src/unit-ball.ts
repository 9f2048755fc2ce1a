import { coarsestStep, type QuantParams } from '@qcb/core';
import type { PdaOptions } from './options.js';

/**
 * The options PDA uses on one unit: with `gammaSteps` set and a quantized unit input, the
 * radius is that many steps of the input quantizer (the largest step of a per-channel grid)
 * and the step size keeps its ratio to the radius; otherwise the options as they are.
 */
export function unitBall(o: PdaOptions, inputQuant: QuantParams | null | undefined): PdaOptions {
  // gammaSteps 0 means off, as in resolvePdaOptions.
  if (!o.gammaSteps || !inputQuant) return o;
  const step = coarsestStep(inputQuant);
  const gamma = o.gammaSteps * step;
  return { ...o, gamma, stepSize: o.stepSize * (gamma / o.gamma) };
}
