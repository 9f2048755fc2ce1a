import * as tf from '@tensorflow/tfjs-core';
import { consumersOf, isComputeNode, type CalibrationUnit } from '../../ir/units.js';
import { fakeQuant } from '../../quant/fake-quant.js';
import type { QuantizedModel } from '../../quant/quantized-model.js';

/**
 * The activation quantizer that the unit's output meets in the deployed model: the input
 * quantizer of the first conv/dense consuming it (the authors' MQBench units end at that
 * `post_act_fake_quantize` node, so their reconstruction compares the quantized output
 * with the full-precision one). Identity when no quantized conv/dense consumes the output
 * (a unit ending before a residual add or a pooling). LAC and EFRAP compare there.
 */
export function unitOutputQuantizer(work: QuantizedModel, unit: CalibrationUnit): (x: tf.Tensor) => tf.Tensor {
  const graph = work.model.graph;
  const consumers = consumersOf(graph).get(unit.output) ?? [];
  for (const name of consumers) {
    const node = work.model.node(name);
    const params = work.parts.activations.get(name);
    if (isComputeNode(node) && params && node.inputs[0] === unit.output) return (x) => fakeQuant(x, params);
  }
  return (x) => x;
}
