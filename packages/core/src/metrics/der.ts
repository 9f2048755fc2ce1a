import { QcbError } from '../errors.js';

/** Benign accuracy and attack success rate of one model, both in percent. */
export interface BackdoorScores {
  readonly ba: number;
  readonly asr: number;
}

/**
 * DER, the defense effectiveness rating, in percent:
 *   alpha * max(0, ASR_before - ASR_after) - (1 - alpha) * max(0, BA_before - BA_after) + 1/2
 * with ASR and BA as fractions and "before" the naively quantized model. alpha = 0.5 gives
 * the usual DER = (max(0, dASR) - max(0, dBA) + 1) / 2, in [0, 100]: 50 means no effect.
 * Raising ASR or BA never earns credit: both differences are clipped at 0.
 */
export function defenseEffectivenessRating(before: BackdoorScores, after: BackdoorScores, alpha = 0.5): number {
  if (!(alpha >= 0 && alpha <= 1)) throw new QcbError('E_USAGE', `DER weight alpha must be in [0, 1], got ${alpha}`);
  const values = [before.ba, before.asr, after.ba, after.asr];
  if (!values.every(Number.isFinite)) throw new QcbError('E_USAGE', `DER needs finite BA and ASR values, got ${values.join(', ')}`);
  const asrDrop = Math.max(0, (before.asr - after.asr) / 100);
  const baDrop = Math.max(0, (before.ba - after.ba) / 100);
  return 100 * (alpha * asrDrop - (1 - alpha) * baDrop + 0.5);
}
