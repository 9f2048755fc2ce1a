import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '../../ir/graph-model.js';
import type { CalibrationUnit } from '../../ir/units.js';
import { fakeQuant } from '../../quant/fake-quant.js';
import type { QuantizedModel } from '../../quant/quantized-model.js';

/**
 * The input of a unit as the quantized model feeds it (earlier units already corrected),
 * quantized by the unit's input quantizer, for each defender batch: cached once, so that
 * training and PDA need not run the network again.
 */
export function cacheUnitInputs(work: QuantizedModel, unit: CalibrationUnit, batches: readonly tf.Tensor4D[]): tf.Tensor[] {
  const actParams = work.parts.activations.get(unit.head);
  const transform = work.transform();
  return batches.map((b) => tf.tidy(() => {
    const [x] = work.model.outputsOf(b, [unit.input], { transform });
    // A copy without an input quantizer: for the first unit x is the batch itself, which the
    // caller disposes with the cache.
    return actParams ? fakeQuant(x, actParams) : tf.clone(x);
  }));
}

/** The full-precision model's output at the unit's last node, on its own fp path. */
export function cacheUnitTargets(fp: GraphModel, unit: CalibrationUnit, batches: readonly tf.Tensor4D[]): tf.Tensor[] {
  return batches.map((b) => tf.tidy(() => fp.outputsOf(b, [unit.output])[0]));
}
