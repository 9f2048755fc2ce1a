import { quantizerModule, type QuantizerProfile } from '@qcb/core';

/**
 * PyTorch post-training quantization with the `qnnpack` (ARM mobile) qconfig: BN folded;
 * weights qint8 symmetric per tensor from min/max (`default_weight_observer`); activations
 * quint8 asymmetric per tensor over the full 8-bit range (no reduce_range), HistogramObserver
 * approximated by the MSE range search with an EMA over calibration batches.
 */
export const PYTORCH_QNNPACK: QuantizerProfile = {
  name: 'pytorch-qnnpack',
  description: 'PyTorch qnnpack PTQ: BN folded, qint8 per-tensor symmetric weights, quint8 per-tensor activations (MSE range)',
  weights: { bits: 8, granularity: 'per-tensor', symmetric: true, observer: 'minmax' },
  activations: { bits: 8, symmetric: false, observer: 'mse', smoothing: { kind: 'ema', factor: 0.9 } },
  firstLastAt8Bits: false,
  foldBatchNorm: true,
};

export default quantizerModule(PYTORCH_QNNPACK);
