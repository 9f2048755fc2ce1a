import { QcbError, type JsonObject, type Preset } from '@qcb/core';

export interface PdaOptions {
  /** Sign-gradient steps (the paper: 500); the step size halves at the midpoint. */
  readonly steps: number;
  /** Initial step size a (1e-3). */
  readonly stepSize: number;
  /** Radius gamma of the l-infinity ball around the original input (1e-3). */
  readonly gamma: number;
  /**
   * When set, a unit whose input is quantized gets the radius gammaSteps x its input
   * quantizer's step instead of the absolute gamma (and the step size in proportion:
   * a / gamma is kept). Units with a full-precision input keep gamma. 0 or unset: gamma
   * everywhere (the paper preset).
   */
  readonly gammaSteps?: number;
}

export const PDA_PAPER: PdaOptions = { steps: 500, stepSize: 1e-3, gamma: 1e-3 };

/**
 * With a = gamma one sign step reaches the ball's surface; later steps only trade faces, so
 * 5 steps do (README: 20 and 50 steps gave the same defended BA / ASR on `pqbackdoor-w4`,
 * and 5 with LAC's restarts kept every seed under 3%). The radius is about
 * a third of a step of each unit's input quantizer (0.35 steps: 0.03-0.1 on the 4-bit
 * activations of academic-w4a4); units whose input is not quantized keep gamma 1e-2, the
 * top of the range the paper's Table 4 found equally good. 0.35 is the smallest radius
 * measured that put the activation-quantizer backdoors of the `-act` fixtures to sleep
 * (README, "The radius in steps of the unit's input quantizer").
 */
export const PDA_FAST: PdaOptions = { steps: 5, stepSize: 1e-2, gamma: 1e-2, gammaSteps: 0.35 };

export function pdaPreset(preset: string): PdaOptions {
  return (preset as Preset) === 'paper' ? PDA_PAPER : PDA_FAST;
}

/**
 * The preset's options with the run's overrides (`--option pda.steps=500`,
 * `pda.stepSize`, `pda.gamma`, `pda.gammaSteps`).
 */
export function resolvePdaOptions(preset: string, overrides: JsonObject = {}): PdaOptions {
  const base = pdaPreset(preset);
  // gammaSteps=0 switches the step-relative radius off (the absolute gamma everywhere).
  const read = (key: keyof PdaOptions, allowZero = false): number | undefined => {
    const raw = overrides[`pda.${key}`];
    if (raw === undefined) return base[key];
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0 || (value === 0 && !allowZero)) {
      throw new QcbError('E_USAGE', `--option pda.${key} must be a ${allowZero ? 'non-negative' : 'positive'} number, got "${String(raw)}"`);
    }
    return value;
  };
  const gammaSteps = read('gammaSteps', true);
  return {
    steps: Math.round(read('steps') ?? base.steps),
    stepSize: read('stepSize') ?? base.stepSize,
    gamma: read('gamma') ?? base.gamma,
    ...(gammaSteps ? { gammaSteps } : {}),
  };
}
