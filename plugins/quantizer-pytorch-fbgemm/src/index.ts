import { quantizerModule, type QuantizerProfile } from '@qcb/core';

/**
 * PyTorch eager/FX post-training quantization with the `fbgemm` (x86 server) qconfig: BN
 * folded; weights qint8 symmetric per output channel from min/max
 * (`default_per_channel_weight_observer`); activations quint8 asymmetric per tensor with
 * `reduce_range` (7 bits of range, as fbgemm needs). PyTorch uses a HistogramObserver for
 * activations, which picks the range minimising the L2 quantization error over a histogram
 * of the calibration data; here that is approximated by the MSE range search smoothed by an
 * EMA over calibration batches.
 */
export const PYTORCH_FBGEMM: QuantizerProfile = {
  name: 'pytorch-fbgemm',
  description: 'PyTorch fbgemm PTQ: BN folded, qint8 per-channel symmetric weights, quint8 reduce-range per-tensor activations (MSE range)',
  weights: { bits: 8, granularity: 'per-channel', symmetric: true, observer: 'minmax' },
  activations: { bits: 8, symmetric: false, observer: 'mse', smoothing: { kind: 'ema', factor: 0.9 }, reduceRange: true },
  firstLastAt8Bits: false,
  foldBatchNorm: true,
};

export default quantizerModule(PYTORCH_FBGEMM);
