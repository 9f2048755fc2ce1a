import { quantizerModule, type QuantizerProfile } from '@qcb/core';

/**
 * The official LAC code's setting at 8 bits, the project's default evaluation profile for
 * 8-bit attacks: weights asymmetric per output channel with an MSE range search, activations
 * asymmetric per tensor at every conv/dense input with an MSE range smoothed by an EMA of 0.9,
 * BN not folded.
 */
export const ACADEMIC_W8A8: QuantizerProfile = {
  name: 'academic-w8a8',
  description: 'LAC paper setting: W8A8, per-channel asymmetric MSE weights, per-tensor asymmetric MSE+EMA activations, BN kept',
  weights: { bits: 8, granularity: 'per-channel', symmetric: false, observer: 'mse' },
  activations: { bits: 8, symmetric: false, observer: 'mse', smoothing: { kind: 'ema', factor: 0.9 } },
  firstLastAt8Bits: true,
  foldBatchNorm: false,
};

export default quantizerModule(ACADEMIC_W8A8);
