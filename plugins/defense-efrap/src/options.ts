import { resolveTrainingOptions, type JsonObject, type OptionRules, type Preset } from '@qcb/core';

export interface EfrapOptions {
  /** Adam steps per unit. */
  readonly iterations: number;
  /** Cached samples per step. */
  readonly batchSize: number;
  /** Adam's learning rate on the rounding logits. */
  readonly lr: number;
  /** Weight of the rounding regulariser `sum(1 - |2h - 1|^b)` (the config's `weight`). */
  readonly roundWeight: number;
  /** Weight of the error-guided flip term `sum(|e| * BCE(h, flipped))` (the code's `beta`). */
  readonly flipWeight: number;
  /** Exponent b of the regulariser: from the first value to the second, linearly after the warm-up. */
  readonly bRange: readonly number[];
  /** Share of the steps before the regulariser starts (at b = bRange[0]). */
  readonly warmUp: number;
  /**
   * 'error': each weight's flip term weighs its truncation error |W - Q(W)| (the authors'
   * code); 'error-activation': that error times the mean magnitude of the weight's input
   * channel on the cached inputs (normalised to mean 1 over the channels).
   */
  readonly flipGuide: 'error' | 'error-activation';
  /**
   * Compare the unit's output after the activation quantizer that the next conv/dense applies
   * to it, as the authors' MQBench layers (which end at that quantizer) do.
   */
  readonly quantizeOutput: boolean;
}

/**
 * The authors' `r18_4_4.yaml` run as their code executes it: layer-wise reconstruction with
 * 10,000 Adam steps (PyTorch's default lr 1e-3) per layer on batches of 32 from 1,024 cached
 * samples, regulariser weight 0.01, flip term weight 1. The config names b_range [20, 2] and
 * warm_up 0.2, but `LossFunction` fixes b = 2 and applies both terms from the first step;
 * `bRange: [20, 2], warmUp: 0.2` gives AdaRound's schedule instead.
 */
export const EFRAP_PAPER: EfrapOptions = {
  iterations: 10_000, batchSize: 32, lr: 1e-3, roundWeight: 0.01, flipWeight: 1, bRange: [2, 2], warmUp: 0, flipGuide: 'error', quantizeOutput: true,
};

/**
 * The default: 600 steps per unit at lr 1e-2 (a logit moves at most about lr per Adam step:
 * 6 against the paper's 10), otherwise the paper's settings; sized for resnet-small's 10
 * units on one core (README, "Cost").
 */
export const EFRAP_FAST: EfrapOptions = { ...EFRAP_PAPER, iterations: 600, lr: 1e-2 };

export const EFRAP_RULES: OptionRules<EfrapOptions> = {
  iterations: { type: 'integer', min: 0 },
  batchSize: { type: 'integer', min: 1 },
  lr: { type: 'number', min: 0, exclusiveMin: true },
  roundWeight: { type: 'number', min: 0 },
  flipWeight: { type: 'number', min: 0 },
  bRange: { type: 'numbers', length: 2 },
  warmUp: { type: 'number', min: 0, max: 1 },
  flipGuide: { type: 'enum', values: ['error', 'error-activation'] },
  quantizeOutput: { type: 'boolean' },
};

export function efrapPreset(preset: Preset): EfrapOptions {
  return preset === 'paper' ? EFRAP_PAPER : EFRAP_FAST;
}

/** The preset's options with the run's `--option` overrides of EFRAP's keys. */
export function resolveEfrapOptions(preset: Preset, overrides: JsonObject = {}): EfrapOptions {
  return resolveTrainingOptions(efrapPreset(preset), EFRAP_RULES, overrides);
}

/** The exponent b of the rounding regulariser at step t (0-based), or null while it is off (the warm-up). */
export function regulariserExponent(o: Pick<EfrapOptions, 'iterations' | 'bRange' | 'warmUp'>, t: number): number | null {
  const start = o.warmUp * o.iterations;
  if (t < start) return null;
  const [from, to] = o.bRange;
  const progress = o.iterations > start ? Math.min(1, (t - start) / (o.iterations - start)) : 1;
  return to + (from - to) * (1 - progress);
}
