// The demo fixture (test/fixtures/models/pqbackdoor-w4) on the wasm backend and a 4-bit
// per-channel min-max quantization of it calibrated on random inputs: what the LAC step
// scripts time (a step's cost does not depend on the grids' values).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadModel, quantizeModel } from '@qcb/core';

const W4A4 = {
  name: 'w4a4', description: 'probe', firstLastAt8Bits: false, foldBatchNorm: false,
  weights: { bits: 4, granularity: 'per-channel', symmetric: false, observer: 'minmax' },
  activations: { bits: 4, symmetric: false, observer: 'minmax', smoothing: { kind: 'extreme' } },
};

/** The fixture, `samples` random inputs, and the quantized model calibrated on the first `calibrateOn` of them. */
export async function probeQuantized(samples, calibrateOn = samples) {
  await initBackend('wasm');
  const { model } = await loadModel(resolve(fileURLToPath(import.meta.url), '../../../../test/fixtures/models/pqbackdoor-w4'));
  const calibration = tf.randomNormal([samples, ...model.inputShape], 0, 1, 'float32', 1);
  const q = await quantizeModel(model, W4A4, [tf.slice(calibration, 0, calibrateOn)]);
  return { model, calibration, q };
}
