import * as tf from '@tensorflow/tfjs-core';
import { unitOutputQuantizer, weightParamOf, type CalibrationUnit, type NodeTransform, type QuantizedModel } from '@qcb/core';

/** Weights of every compute node fake-quantized with the frozen grids; the head's as Q(W + alpha). */
export function unitTransform(work: QuantizedModel, head: string, alpha: tf.Tensor | null): NodeTransform {
  return {
    param: (node, name, value) => {
      if (name !== weightParamOf(node)) return value;
      return work.quantizeWeight(node.name, node.name === head && alpha ? tf.add(value, alpha) : value);
    },
  };
}

/**
 * A unit's output on the quantized path with the weights a transform gives, through the next
 * layer's input quantizer when `quantizeOutput` is on: what LAC matches to the full-precision
 * output, on the calling thread (lac.ts) and on the pool's workers (parallel-unit-task.ts).
 */
export function unitForward(work: QuantizedModel, unit: CalibrationUnit, quantizeOutput: boolean): (x: tf.Tensor, t: NodeTransform) => tf.Tensor {
  const outputQuant = quantizeOutput ? unitOutputQuantizer(work, unit) : (x: tf.Tensor) => x;
  return (x, t) => outputQuant(work.model.runUnit(unit, x, { transform: t }));
}
