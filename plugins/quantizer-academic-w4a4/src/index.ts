import { quantizerModule, type QuantizerProfile } from '@qcb/core';

/**
 * The setting of the official LAC code ("academic W4A4"), the project's default evaluation
 * profile for 4 bits: weights asymmetric per output channel with an MSE range search (80
 * shrink factors of [min, max]); activations asymmetric per tensor at the input of every
 * conv/dense (the image included), MSE range smoothed by an EMA of 0.9 over calibration
 * batches; the first conv and the last dense (and their input quantizers) at 8 bits; BN not
 * folded. It imitates the simulated-quantization setups of PTQ research (BRECQ, QDrop),
 * which the paper's authors used to evaluate every attack.
 */
export const ACADEMIC_W4A4: QuantizerProfile = {
  name: 'academic-w4a4',
  description: 'LAC paper setting: W4A4, per-channel asymmetric MSE weights, per-tensor asymmetric MSE+EMA activations, first/last 8-bit, BN kept',
  weights: { bits: 4, granularity: 'per-channel', symmetric: false, observer: 'mse' },
  activations: { bits: 4, symmetric: false, observer: 'mse', smoothing: { kind: 'ema', factor: 0.9 } },
  firstLastAt8Bits: true,
  foldBatchNorm: false,
};

export default quantizerModule(ACADEMIC_W4A4);
