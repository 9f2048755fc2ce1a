import * as tf from '@tensorflow/tfjs-core';
import {
  Adam, HostRows, channelsLastView, mulberry32, unitOutputQuantizer, weightParamOf, weightedSum,
  type CalibrationUnit, type DefenseContext, type LossTerm, type NodeTransform, type QuantizedModel, type UnitReport,
} from '@qcb/core';
import { flipGuide } from './guide.js';
import { regulariserExponent, type EfrapOptions } from './options.js';
import { FlipRounding } from './rounding.js';

/** Guards the logarithms of the flip term (the authors' 1e-8). */
const LOG_EPS = 1e-8;
/** Samples per forward pass when a unit's whole cache is scored. */
const SCORE_CHUNK = 256;

export interface UnitRounding extends UnitReport {
  readonly steps: number;
  /** Reconstruction over the cache with nearest rounding. */
  readonly initialLoss: number;
  /** Reconstruction over the cache with the learned rounding. */
  readonly finalLoss: number;
  /** Weights whose rounding direction differs from nearest rounding. */
  readonly flips: number;
  readonly weights: number;
}

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

/**
 * Learns the rounding direction of one unit's head weight on its frozen grid (EFRAP, after
 * the authors' AdaRound-based MQBench code): a logit per weight, started at the logit of the
 * weight's fractional part, trained with Adam on random batches of the cached quantized inputs
 * so that the unit's output matches the full-precision targets (activation preservation),
 * while the flip term pulls each weight, in proportion to its guide, towards the rounding
 * that nearest rounding does not take, and the regulariser pushes the soft rounding to 0 or 1.
 * The head weight is then set to the hard decision: every value is its nearest grid point or
 * the neighbour on the other side, clamped to the grid.
 */
export function learnUnitRounding(
  ctx: DefenseContext, work: QuantizedModel, unit: CalibrationUnit, inputs: tf.Tensor, targets: tf.Tensor, o: EfrapOptions, index: number,
): UnitRounding {
  const node = work.model.node(unit.head);
  const kernel = node.params[weightParamOf(node)!];
  const params = work.parts.weights.get(unit.head)!;
  // A copy: for conv and dense kernels the view is the variable itself.
  const view = tf.tidy(() => tf.clone(channelsLastView(node, kernel)));
  const rounding = new FlipRounding(view, params);
  const guide = flipGuide(o.flipGuide, rounding, node, inputs);
  const flipped = rounding.flipped();
  const logits = tf.variable(rounding.initialLogits, true);
  const optimizer = new Adam([logits]);
  const outQuant = o.quantizeOutput ? unitOutputQuantizer(work, unit) : (x: tf.Tensor) => x;
  const weightAt = (h: tf.Tensor): tf.Tensor => tf.reshape(rounding.weight(h), kernel.shape);
  const forward = (x: tf.Tensor, weight: tf.Tensor): tf.Tensor => outQuant(work.model.runUnit(unit, x, { transform: headTransform(work, unit.head, weight) }));
  const count = inputs.shape[0];
  // Batches and scoring chunks are copied out of host memory: tf.gather and tf.slice on a
  // large cache cost more than the step on the wasm backend (core's host-rows.ts).
  const hostInputs = HostRows.fromTensors([inputs]);
  const hostTargets = HostRows.fromTensors([targets]);
  const scoreOnCache = (h: tf.Tensor): number => tf.tidy(() => {
    const weight = weightAt(h);
    let sum = 0;
    for (let start = 0; start < count; start += SCORE_CHUNK) {
      const size = Math.min(SCORE_CHUNK, count - start);
      sum += size * reconstruction(forward(hostInputs.slice(start, size), weight), hostTargets.slice(start, size)).dataSync()[0];
    }
    return sum / count;
  });
  const rng = mulberry32(ctx.seed * 7_919 + index);
  ctx.progress.stage(`unit ${index + 1}/${work.model.units().length} ${unit.head}`, o.iterations);
  try {
    const initialLoss = scoreOnCache(rounding.nearestUp);
    let last = NaN;
    for (let it = 0; it < o.iterations; it++) {
      const b = regulariserExponent(o, it);
      const idx = Array.from({ length: o.batchSize }, () => Math.floor(rng() * count));
      last = tf.tidy(() => {
        const x = hostInputs.gather(idx);
        const y = hostTargets.gather(idx);
        const { value, grads } = tf.variableGrads(() => {
          const h = tf.sigmoid(logits);
          const terms = [{ name: 'efrap:reconstruction', value: reconstruction(forward(x, weightAt(h)), y), weight: 1 }, ...roundingTerms(h, flipped, guide, b, o)];
          return weightedSum(ctx.hooks.loss.terms.call(terms, { stage: 'efrap:unit', model: work.model, unit }));
        }, [logits]);
        optimizer.step([grads[logits.name]], o.lr);
        return value.dataSync()[0];
      });
      ctx.hooks.calibration.step.call({ unit, step: it + 1, total: o.iterations, loss: last });
      ctx.progress.step(it + 1, `loss ${last.toPrecision(4)}`);
    }
    const hard = FlipRounding.hard(logits);
    const finalLoss = scoreOnCache(hard);
    const flips = tf.tidy(() => tf.sum(tf.notEqual(hard, rounding.nearestUp)).dataSync()[0]);
    const learned = tf.tidy(() => weightAt(hard));
    kernel.assign(learned);
    tf.dispose([hard, learned]);
    ctx.progress.stageDone(`reconstruction ${initialLoss.toPrecision(4)} -> ${finalLoss.toPrecision(4)}, ${flips} of ${view.size} roundings flipped`);
    return { steps: o.iterations, initialLoss, finalLoss, flips, weights: view.size };
  } finally {
    optimizer.dispose();
    tf.dispose([view, guide, flipped, logits]);
    rounding.dispose();
  }
}
