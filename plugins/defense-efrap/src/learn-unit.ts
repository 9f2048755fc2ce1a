import * as tf from '@tensorflow/tfjs-core';
import {
  Adam, HostRows, channelsLastView, mulberry32, weightParamOf, weightedSum,
  type CalibrationUnit, type DefenseContext, type QuantizedModel, type StepPool, type UnitReport,
} from '@qcb/core';
import { flipGuide } from './guide.js';
import { reconstruction, roundingObjective } from './objective.js';
import { regulariserExponent, type EfrapOptions } from './options.js';
import { startParallelRounding } from './parallel-rounding.js';
import { FlipRounding } from './rounding.js';

/** Samples per forward pass when a unit's whole cache is scored. */
const SCORE_CHUNK = 256;
/** Steps per call to the pool's workers (the progress moves once per call). */
const POOL_STRETCH = 50;

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

/**
 * Learns the rounding direction of one unit's head weight on its frozen grid (EFRAP, after
 * the authors' AdaRound-based MQBench code): a logit per weight, started at the logit of the
 * weight's fractional part, trained with Adam on random batches of the cached quantized inputs
 * so that the unit's output matches the full-precision targets (activation preservation),
 * while the flip term pulls each weight, in proportion to its guide, towards the rounding
 * that nearest rounding does not take, and the regulariser pushes the soft rounding to 0 or 1.
 * The head weight is then set to the hard decision: every value is its nearest grid point or
 * the neighbour on the other side, clamped to the grid.
 * With a StepPool (--threads) and no plugin adding a loss term, the steps run on the pool's
 * workers, a shard of each batch each, DDP-style (parallel-rounding-task.ts).
 */
export async function learnUnitRounding(
  ctx: DefenseContext, work: QuantizedModel, unit: CalibrationUnit, inputs: tf.Tensor, targets: tf.Tensor, o: EfrapOptions, index: number, pool: StepPool | null = null,
): Promise<UnitRounding> {
  const node = work.model.node(unit.head);
  const kernel = node.params[weightParamOf(node)!];
  const params = work.parts.weights.get(unit.head)!;
  // A copy: for conv and dense kernels the view is the variable itself.
  const view = tf.tidy(() => tf.clone(channelsLastView(node, kernel)));
  const rounding = new FlipRounding(view, params);
  const guide = flipGuide(o.flipGuide, rounding, node, inputs);
  const flipped = rounding.flipped();
  const logits = tf.variable(rounding.initialLogits, true);
  const objective = roundingObjective(work, unit, rounding, flipped, guide, o);
  const count = inputs.shape[0];
  // Batches and scoring chunks are copied out of host memory: tf.gather and tf.slice on a
  // large cache cost more than the step on the wasm backend (core's host-rows.ts).
  const onPool = pool !== null && ctx.hooks.loss.terms.taps.length === 0;
  const hostInputs = HostRows.fromTensors([inputs], { shared: onPool });
  const hostTargets = HostRows.fromTensors([targets], { shared: onPool });
  const scoreOnCache = (h: tf.Tensor): number => tf.tidy(() => {
    const weight = objective.weightAt(h);
    let sum = 0;
    for (let start = 0; start < count; start += SCORE_CHUNK) {
      const size = Math.min(SCORE_CHUNK, count - start);
      sum += size * reconstruction(objective.forward(hostInputs.slice(start, size), weight), hostTargets.slice(start, size)).dataSync()[0];
    }
    return sum / count;
  });
  const rng = mulberry32(ctx.seed * 7_919 + index);
  const batchAt = (): number[] => Array.from({ length: o.batchSize }, () => Math.floor(rng() * count));
  const report = (step: number, loss: number): void => {
    ctx.hooks.calibration.step.call({ unit, step, total: o.iterations, loss });
    ctx.progress.step(step, `loss ${loss.toPrecision(4)}`);
  };
  const trainOnThisThread = (): void => {
    const optimizer = new Adam([logits]);
    try {
      for (let it = 0; it < o.iterations; it++) {
        const b = regulariserExponent(o, it);
        const idx = batchAt();
        const loss = tf.tidy(() => {
          const x = hostInputs.gather(idx);
          const y = hostTargets.gather(idx);
          const { value, grads } = tf.variableGrads(
            () => weightedSum(ctx.hooks.loss.terms.call(objective.terms(x, y, logits, b), { stage: 'efrap:unit', model: work.model, unit })), [logits],
          );
          optimizer.step([grads[logits.name]], o.lr);
          return value.dataSync()[0];
        });
        report(it + 1, loss);
      }
    } finally {
      optimizer.dispose();
    }
  };
  ctx.progress.stage(`unit ${index + 1}/${work.model.units().length} ${unit.head}`, o.iterations);
  try {
    const initialLoss = scoreOnCache(rounding.nearestUp);
    if (onPool) {
      const parallel = await startParallelRounding(pool, work, unit, { inputs: hostInputs, targets: hostTargets }, guide, logits, o);
      for (let it = 0; it < o.iterations; ) {
        const batches = Array.from({ length: Math.min(POOL_STRETCH, o.iterations - it) }, batchAt);
        (await parallel.steps(batches, o.lr, it)).forEach((loss, k) => report(it + k + 1, loss));
        it += batches.length;
      }
      await parallel.call('publish');
      parallel.copyValues(logits);
    } else {
      trainOnThisThread();
    }
    const hard = FlipRounding.hard(logits);
    const finalLoss = scoreOnCache(hard);
    const flips = tf.tidy(() => tf.sum(tf.notEqual(hard, rounding.nearestUp)).dataSync()[0]);
    const learned = tf.tidy(() => objective.weightAt(hard));
    kernel.assign(learned);
    tf.dispose([hard, learned]);
    ctx.progress.stageDone(`reconstruction ${initialLoss.toPrecision(4)} -> ${finalLoss.toPrecision(4)}, ${flips} of ${view.size} roundings flipped`);
    return { steps: o.iterations, initialLoss, finalLoss, flips, weights: view.size };
  } finally {
    tf.dispose([view, guide, flipped, logits]);
    rounding.dispose();
  }
}
