import { quantizerModule, type QuantizerProfile } from '@qcb/core';

/**
 * TensorFlow Lite's full-integer post-training quantization (the converter with a
 * representative dataset): BN folded into the convolutions; weights int8 symmetric per output
 * channel on the narrow range [-127, 127] from their min/max; activations int8 asymmetric per
 * tensor from the min and max seen over the representative dataset.
 */
export const TFLITE_INT8: QuantizerProfile = {
  name: 'tflite-int8',
  description: 'TFLite full-integer PTQ: BN folded, int8 per-channel symmetric narrow-range weights, per-tensor asymmetric min/max activations',
  weights: { bits: 8, granularity: 'per-channel', symmetric: true, narrowRange: true, observer: 'minmax' },
  activations: { bits: 8, symmetric: false, observer: 'minmax', smoothing: { kind: 'extreme' } },
  firstLastAt8Bits: false,
  foldBatchNorm: true,
};

export default quantizerModule(TFLITE_INT8);
