import * as tf from '@tensorflow/tfjs-core';
import { consumersOf, fakeQuant, isComputeNode, type CalibrationUnit, type GraphModel, type QuantizedModel } from '@qcb/core';

/**
 * A unit's input on the quantized path for each defender batch (earlier units already on
 * their learned rounding), after the unit's own input quantizer: the authors' `quant_inps`.
 */
export function quantizedUnitInputs(work: QuantizedModel, unit: CalibrationUnit, batches: readonly tf.Tensor4D[]): tf.Tensor[] {
  const inputQuant = work.parts.activations.get(unit.head);
  const transform = work.transform();
  return batches.map((b) => tf.tidy(() => {
    const [x] = work.model.outputsOf(b, [unit.input], { transform });
    // A copy when there is no quantizer: for the first unit x is the batch itself.
    return inputQuant ? fakeQuant(x, inputQuant) : tf.clone(x);
  }));
}

/** The full-precision model's output at the unit's last node for each defender batch (the authors' `fp32_oups`). */
export function fullPrecisionUnitOutputs(fp: GraphModel, unit: CalibrationUnit, batches: readonly tf.Tensor4D[]): tf.Tensor[] {
  return batches.map((b) => tf.tidy(() => fp.outputsOf(b, [unit.output])[0]));
}

/**
 * The activation quantizer the unit's output meets next (the input quantizer of the conv/dense
 * fed by it): the authors' MQBench layers end at that `post_act_fake_quantize`. Identity when
 * none follows directly (a unit before a residual add or a pooling).
 */
export function outputQuantizer(work: QuantizedModel, unit: CalibrationUnit): (x: tf.Tensor) => tf.Tensor {
  for (const name of consumersOf(work.model.graph).get(unit.output) ?? []) {
    const node = work.model.node(name);
    const params = work.parts.activations.get(name);
    if (params && isComputeNode(node) && node.inputs[0] === unit.output) return (x) => fakeQuant(x, params);
  }
  return (x) => x;
}
