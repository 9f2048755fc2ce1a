import type { Preset } from '@qcb/core';

export interface PdaOptions {
  /** Sign-gradient steps (the paper: 500); the step size halves at the midpoint. */
  readonly steps: number;
  /** Initial step size a (1e-3). */
  readonly stepSize: number;
  /** Radius gamma of the l-infinity ball around the original input (1e-3). */
  readonly gamma: number;
}

export const PDA_PAPER: PdaOptions = { steps: 500, stepSize: 1e-3, gamma: 1e-3 };

/** Sign steps of 1e-3 reach the 1e-3 ball's surface in one step; see README for the measurement behind 50. */
export const PDA_FAST: PdaOptions = { steps: 50, stepSize: 1e-3, gamma: 1e-3 };

export function pdaPreset(preset: string): PdaOptions {
  return (preset as Preset) === 'paper' ? PDA_PAPER : PDA_FAST;
}
