import * as tf from '@tensorflow/tfjs-core';
import { unitOutputQuantizer, weightParamOf, type CalibrationUnit, type LossTerm, type NodeTransform, type QuantizedModel } from '@qcb/core';
import type { EfrapOptions } from './options.js';
import type { FlipRounding } from './rounding.js';

/** Guards the logarithms of the flip term (the authors' 1e-8). */
const LOG_EPS = 1e-8;

/** Squared difference summed over channels, averaged over the other axes (the authors' `lp_loss`, p = 2). */
export function reconstruction(output: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.mean(tf.sum(tf.square(tf.sub(output, target)), -1)) as tf.Scalar;
}

/** Runs the unit with its head's weight given (in the kernel's own shape) and every other weight on its nearest grid point. */
function headTransform(work: QuantizedModel, head: string, weight: tf.Tensor): NodeTransform {
  return {
    param: (node, name, value) => {
      if (name !== weightParamOf(node)) return value;
      return node.name === head ? weight : work.quantizeWeight(node.name, value);
    },
  };
}

/**
 * The terms on the soft rounding h: the flip term, each weight's guide times the binary
 * cross-entropy between h and the direction nearest rounding does not take (the authors'
 * `penalty`), and, past the warm-up, the regulariser `sum(1 - |2h - 1|^b)` (`round_loss`).
 */
function roundingTerms(h: tf.Tensor, flipped: tf.Tensor, guide: tf.Tensor, b: number | null, o: EfrapOptions): LossTerm[] {
  const bce = tf.neg(tf.add(tf.mul(flipped, tf.log(tf.add(h, LOG_EPS))), tf.mul(tf.sub(1, flipped), tf.log(tf.add(tf.sub(1, h), LOG_EPS)))));
  const flip: LossTerm = { name: 'efrap:flip', value: tf.sum(tf.mul(guide, bce)) as tf.Scalar, weight: o.flipWeight };
  if (b === null) return [flip];
  return [flip, { name: 'efrap:rounding', value: tf.sum(tf.sub(1, tf.pow(tf.abs(tf.sub(tf.mul(h, 2), 1)), b))) as tf.Scalar, weight: o.roundWeight }];
}

/** What EFRAP minimises on one unit, the same on the calling thread and on a pool's workers. */
export interface RoundingObjective {
  /** The head's weight at rounding h (soft or hard), in the kernel's own shape. */
  weightAt(h: tf.Tensor): tf.Tensor;
  /** The unit's output on x with the head's weight given, after the output quantizer when it is on. */
  forward(x: tf.Tensor, weight: tf.Tensor): tf.Tensor;
  /** One step's terms on (x, y) at the logits: reconstruction, flip and (when b is not null) rounding. */
  terms(x: tf.Tensor, y: tf.Tensor, logits: tf.Tensor, b: number | null): LossTerm[];
}

export function roundingObjective(
  work: QuantizedModel, unit: CalibrationUnit, rounding: FlipRounding, flipped: tf.Tensor, guide: tf.Tensor, o: EfrapOptions,
): RoundingObjective {
  const node = work.model.node(unit.head);
  const kernelShape = node.params[weightParamOf(node)!].shape;
  const outQuant = o.quantizeOutput ? unitOutputQuantizer(work, unit) : (x: tf.Tensor) => x;
  const weightAt = (h: tf.Tensor): tf.Tensor => tf.reshape(rounding.weight(h), kernelShape);
  const forward = (x: tf.Tensor, weight: tf.Tensor): tf.Tensor => outQuant(work.model.runUnit(unit, x, { transform: headTransform(work, unit.head, weight) }));
  return {
    weightAt,
    forward,
    terms: (x, y, logits, b) => {
      const h = tf.sigmoid(logits);
      return [{ name: 'efrap:reconstruction', value: reconstruction(forward(x, weightAt(h)), y), weight: 1 }, ...roundingTerms(h, flipped, guide, b, o)];
    },
  };
}
