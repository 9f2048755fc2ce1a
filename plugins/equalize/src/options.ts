import { QcbError, type JsonObject } from '@qcb/core';

export interface EqualizeOptions {
  /**
   * A channel is an outlier when its largest magnitude on the calibration data is at least
   * `ratio` times the 90th percentile of its tensor's channels' (the typical channel's).
   */
  readonly ratio: number;
  /**
   * An outlier is scaled down by the smallest power of two that puts its calibration maximum
   * at `headroom` times below the typical channel's, so that a trigger which multiplies it
   * by up to that much still falls inside the quantizer's range instead of being clipped.
   */
  readonly headroom: number;
  /**
   * A scaled channel must keep at least this many steps of its activation quantizer (its
   * scaled maximum over the step the typical channel's range gives): on a 4-bit grid no
   * channel can, so equalization leaves 4-bit activations alone.
   */
  readonly minLevels: number;
}

/**
 * Measured on compartifact-w8-x4 (README): its two outlier channels sit at 5.3 and 7.9
 * times their tensor's median channel and at 3.8 and 5.6 times the 90th percentile; no
 * other input of a quantized unit has a channel above 3 times it.
 */
export const EQUALIZE_DEFAULTS: EqualizeOptions = { ratio: 3, headroom: 4, minLevels: 16 };

export const EQUALIZE_OPTION_KEYS = ['equalize.ratio', 'equalize.headroom', 'equalize.minLevels'] as const;

/** The defaults with the run's `--option equalize.<key>=<value>` overrides. */
export function resolveEqualizeOptions(overrides: JsonObject = {}): EqualizeOptions {
  const read = (key: keyof EqualizeOptions, min: number): number => {
    const raw = overrides[`equalize.${key}`];
    if (raw === undefined) return EQUALIZE_DEFAULTS[key];
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) {
      throw new QcbError('E_USAGE', `--option equalize.${key} must be a number of at least ${min}, got "${String(raw)}"`);
    }
    return value;
  };
  return { ratio: read('ratio', 1), headroom: read('headroom', 1), minLevels: read('minLevels', 0) };
}
