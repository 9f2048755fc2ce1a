import * as tf from '@tensorflow/tfjs-core';
import {
  Adam, GraphModel, HostRows, QuantizedModel, StepPool, measurePassBytes, modelShapes, cacheUnit, cloneGraph, coarsestStep, mulberry32, planUnitCache, runThreads, unitPieceMapping, weightParamOf, withOverrides,
  type ActivationBytes, type CalibrationRun, type CalibrationUnit, type DefenseContext, type DefenseDefinition, type LossTerm, type NodeTransform, type QuantParams, type UnitContext,
} from '@qcb/core';
import { squaredEuclidean, type Distance } from './distance.js';
import { LAC_FAST, lacPreset, type LacOptions } from './options.js';
import { shiftChannels, shiftedRows } from './channel-shift.js';
import { ParallelUnit } from './parallel-unit.js';
import { accumulated } from './accumulate.js';
import { unitForward, unitTransform } from './unit-forward.js';

export interface LacConfig {
  /** The distance D of the reconstruction term (squared Euclidean by default). */
  readonly distance?: Distance;
  /** The loss-term name the distance is reported under. */
  readonly termName?: string;
}

/** The preset's options with the --option overrides LAC reads (the run's other keys belong to augmentations). */
function resolveOptions(ctx: DefenseContext): LacOptions {
  const base = lacPreset(ctx.preset, ctx.augmentations.length > 0);
  const own = Object.fromEntries(Object.entries(ctx.options).filter(([k]) => k in base));
  return withOverrides(base, own);
}

/** The per-channel shift of a unit's inputs (channel-shift.ts): 0 for an fp input or when off. */
function shiftRadius(o: LacOptions, inputQuant: QuantParams | null | undefined): number {
  return o.channelShiftSteps && inputQuant ? o.channelShiftSteps * coarsestStep(inputQuant) : 0;
}

/** A unit's forward on the quantized path and one training step's loss and gradient, as LAC trains it. */
interface UnitStep {
  /** The unit's output with the weights `t` gives, through the output quantizer when it is on. */
  readonly forward: (x: tf.Tensor, t: NodeTransform) => tf.Tensor;
  /** The distance D between the unit's output on x and the target y (no plugin terms): what scoring the cache sums. */
  readonly reconstruction: (x: tf.Tensor, y: tf.Tensor, t: NodeTransform) => tf.Scalar;
  /** The reconstruction term and the plugins' loss terms on (x, y), and their gradient for `alpha`. */
  readonly lossAndGrad: (x: tf.Tensor, y: tf.Tensor, alpha: tf.Variable, t: NodeTransform) => { value: tf.Scalar; grad: tf.Tensor };
}

function unitStep(ctx: DefenseContext, work: QuantizedModel, unit: CalibrationUnit, o: LacOptions, config: LacConfig): UnitStep {
  const distance = config.distance ?? squaredEuclidean;
  const termName = config.termName ?? 'lac:reconstruction';
  const forward = unitForward(work, unit, o.quantizeOutput);
  const reconstruction = (x: tf.Tensor, y: tf.Tensor, t: NodeTransform): tf.Scalar => distance(forward(x, t), y);
  const lossAndGrad = (x: tf.Tensor, y: tf.Tensor, alpha: tf.Variable, t: NodeTransform): { value: tf.Scalar; grad: tf.Tensor } => {
    const { value, grads } = tf.variableGrads(() => {
      const terms: LossTerm[] = ctx.hooks.loss.terms.call([{ name: termName, value: reconstruction(x, y, t), weight: 1 }], { stage: 'lac:unit', model: work.model, unit });
      return terms.map((term) => tf.mul(term.value, term.weight)).reduce((a, b) => tf.add(a, b)) as tf.Scalar;
    }, [alpha]);
    return { value, grad: grads[alpha.name] };
  };
  return { forward, reconstruction, lossAndGrad };
}

/**
 * What one training step and one scoring pass on the unit hold, measured on zero batches of
 * the unit's shapes (measurePassBytes): the output quantizer, the distance, the plugins' loss
 * terms and the channel shift are in it, which the IR's estimate of the unit's nodes is not.
 */
async function measureUnit(ctx: DefenseContext, work: QuantizedModel, fp: GraphModel, unit: CalibrationUnit, o: LacOptions, config: LacConfig, shift: number): Promise<{ step: ActivationBytes; unitPass: ActivationBytes }> {
  const inputShape = unit.input === work.model.graph.input ? work.model.inputShape : modelShapes(work.model).get(unit.input)!;
  const targetShape = modelShapes(fp).get(unit.output)!;
  const head = work.model.node(unit.head);
  const alpha = tf.tidy(() => tf.variable(tf.zerosLike(head.params[weightParamOf(head)!]), true));
  const transform = unitTransform(work, unit.head, alpha);
  const { reconstruction, lossAndGrad } = unitStep(ctx, work, unit, o, config);
  try {
    const step = await measurePassBytes((n) => tf.tidy(() => {
      const x = tf.zeros([n, ...inputShape]);
      const { value, grad } = lossAndGrad(shift ? shiftChannels(x, shift, 0) : x, tf.zeros([n, ...targetShape]), alpha, transform);
      return [value, grad];
    }).forEach((t) => t.dispose()));
    const unitPass = await measurePassBytes((n) => tf.tidy(() => reconstruction(tf.zeros([n, ...inputShape]), tf.zeros([n, ...targetShape]), transform)).dispose());
    return { step, unitPass };
  } finally {
    alpha.dispose();
  }
}

/** One unit's cache in host memory (HostRows): its inputs, their full-precision targets, and the inputs it is scored on. */
interface UnitCache {
  readonly inputs: HostRows;
  readonly targets: HostRows;
  /** The inputs shifted once per channel (channel-shift.ts), or the inputs themselves. */
  readonly scoredInputs: HostRows;
}

/**
 * The cached pieces moved to host memory (shared with the pool's workers when there is a
 * pool), and disposed. With a channel shift, the scored copy is shifted piece by piece with
 * one generator, which draws the shifts one call on the whole cache would.
 */
function hostCache(inputs: tf.Tensor[], targets: tf.Tensor[], shift: number, seed: number, shared: boolean): UnitCache {
  try {
    const host = { inputs: HostRows.fromTensors(inputs, { shared }), targets: HostRows.fromTensors(targets, { shared }) };
    if (!shift) return { ...host, scoredInputs: host.inputs };
    const rng = mulberry32(seed);
    const shifted = inputs.map((piece) => shiftChannels(piece, shift, rng));
    try {
      return { ...host, scoredInputs: HostRows.fromTensors(shifted, { shared }) };
    } finally {
      tf.dispose(shifted);
    }
  } finally {
    tf.dispose([...inputs, ...targets]);
  }
}

/**
 * Trains the additive offset alpha of one unit's weight (init 0, forward Q(W + alpha) on the
 * frozen grid with a straight-through estimator) so that the unit's output on its cached
 * quantized inputs matches the full-precision targets. Returns the steps run and losses.
 * With a channel shift, each training batch gets fresh shifts and the offsets are scored on
 * one fixed shifted copy of the cache. With a StepPool (--threads), the steps between two
 * scorings and the scoring run on the pool's workers, a shard of each batch each, DDP-style
 * (parallel-unit.ts), where the step is the squared-Euclidean reconstruction (with the
 * channel shift when it is on) and no plugin adds a loss term.
 */
async function correctUnit(
  ctx: DefenseContext, run: CalibrationRun, work: QuantizedModel, unit: CalibrationUnit, cache: UnitCache, o: LacOptions, config: LacConfig, index: number, shift: number,
  sizes: { readonly scoreBatch: number; readonly stepBatch: number }, pool: StepPool | null,
): Promise<{ steps: number; initialLoss: number; finalLoss: number }> {
  const head = work.model.node(unit.head);
  const weight = head.params[weightParamOf(head)!];
  const alpha = tf.tidy(() => tf.variable(tf.zerosLike(weight), true));
  let optimizer = new Adam([alpha]);
  let lr = o.lr;
  let restartsLeft = o.restarts;
  const transform = unitTransform(work, unit.head, alpha);
  const rng = mulberry32(ctx.seed * 7_919 + index);
  const { inputs, targets, scoredInputs } = cache;
  const count = inputs.count;
  const { reconstruction, lossAndGrad } = unitStep(ctx, work, unit, o, config);
  const hooks = ctx.hooks;
  // Each step's shifts come from a generator seeded by the step's index (shiftChannels).
  const shiftSeed = ctx.seed * 104_729 + 1_000_003 * (index + 1);
  const parallel = pool && !config.distance && hooks.loss.terms.taps.length === 0
    ? await ParallelUnit.start(pool, work, unit, cache, alpha, {
      quantizeOutput: o.quantizeOutput, scoreBatch: sizes.scoreBatch, stepBatch: sizes.stepBatch, shift, shiftSeed,
    })
    : null;
  // Reconstruction loss over the whole cache, in chunks that fit memory (reported before and after).
  const cacheLoss = (t: NodeTransform): number => {
    let sum = 0;
    for (let start = 0; start < count; start += sizes.scoreBatch) {
      const size = Math.min(sizes.scoreBatch, count - start);
      sum += size * tf.tidy(() => reconstruction(scoredInputs.slice(start, size), targets.slice(start, size), t).dataSync()[0]);
    }
    return sum / count;
  };
  const initialLoss = parallel ? await parallel.score() : cacheLoss(transform);
  // The best offset so far by the whole-cache reconstruction (alpha = 0 is nearest rounding).
  const best = tf.tidy(() => tf.variable(tf.zerosLike(weight), false));
  let bestLoss = initialLoss;
  let sinceBest = 0;
  let lastLoss = NaN;
  let steps = 0;
  ctx.progress.stage(`unit ${index + 1}/${run.units.length} ${unit.head}`, o.iterations);
  try {
    const report = (loss: number): void => {
      steps++;
      lastLoss = loss;
      hooks.calibration.step.call({ unit, step: steps, total: o.iterations, loss });
      ctx.progress.step(steps, `loss ${loss.toPrecision(4)} best ${bestLoss.toPrecision(4)}`);
    };
    const step = (rows: readonly number[], it: number): number => {
      // One generator over the micro-batches draws the shifts one call on the whole batch would.
      const shifts = mulberry32(shiftSeed + it);
      const { value, grad } = accumulated(rows, sizes.stepBatch, (part) => lossAndGrad(shiftedRows(inputs, part, shift, shifts), targets.gather(part), alpha, transform));
      tf.tidy(() => optimizer.step([grad], lr));
      grad.dispose();
      return value;
    };
    // The steps up to the next scoring run as one stretch: on the pool, one call.
    for (let it = 0; it < o.iterations; ) {
      const stretch = Math.min(o.evalEvery - (it % o.evalEvery), o.iterations - it);
      const batches = Array.from({ length: stretch }, () => Array.from({ length: o.batchSize }, () => Math.floor(rng() * count)));
      if (parallel) (await parallel.steps(batches, lr, it)).forEach(report);
      else batches.forEach((rows, k) => report(step(rows, it + k)));
      it += stretch;
      const scored = parallel ? await parallel.score() : cacheLoss(transform);
      if (scored < bestLoss) {
        bestLoss = scored;
        if (parallel) parallel.copyAlpha(best);
        else best.assign(alpha);
        sinceBest = 0;
      } else if (o.patience > 0 && ++sinceBest >= o.patience) {
        if (restartsLeft === 0) break;
        // Plateau: Adam on a straight-through rounding wanders off its best point at this
        // step size; go back to the best offset and continue with half the step.
        restartsLeft--;
        lr /= 2;
        sinceBest = 0;
        alpha.assign(best);
        optimizer.dispose();
        optimizer = new Adam([alpha]);
        await parallel?.reset(best);
      }
    }
    // Finalise with the best offset: W <- Q(W + alpha), on the grid.
    const corrected = tf.tidy(() => work.quantizeWeight(unit.head, tf.add(weight, best)));
    weight.assign(corrected);
    corrected.dispose();
  } finally {
    alpha.dispose();
    best.dispose();
    optimizer.dispose();
  }
  const finalLoss = bestLoss;
  ctx.progress.stageDone(`${steps} steps, reconstruction ${initialLoss.toPrecision(4)} -> ${finalLoss.toPrecision(4)} (last batch ${lastLoss.toPrecision(4)})`);
  return { steps, initialLoss, finalLoss };
}

/**
 * Layer-wise activation correction (paper section 4): unit by unit, the quantized model's
 * weights are corrected so that each unit's output on the quantized path matches the
 * full-precision model's, which puts a quantization-conditioned backdoor back to sleep.
 * PDA (or any augmentation) taps `calibration.unitInputs` to move the cached inputs first.
 */
export function createLac(config: LacConfig = {}): DefenseDefinition {
  return {
    operatesOn: 'quantized',
    optionKeys: Object.keys(LAC_FAST),
    async run(ctx) {
      const o = resolveOptions(ctx);
      const q = ctx.quantized;
      const fp = q.model;
      const resumed = await ctx.checkpoint.load();
      const workModel = resumed?.model ?? new GraphModel(cloneGraph(fp.graph));
      const work = new QuantizedModel({ ...q.parts, model: workModel, weightsOnGrid: false });
      const units = workModel.units();
      const hooks = ctx.hooks;
      const run: CalibrationRun = { model: fp, work: workModel, defense: 'lac', units, augmentations: ctx.augmentations, preset: ctx.preset, options: ctx.options };
      await hooks.calibration.runStart.promise(run);
      // With --threads N > 1, N workers share each unit's training steps (parallel-unit.ts).
      const pool = await StepPool.start(runThreads());
      try {
        for (let i = resumed?.done ?? 0; i < units.length; i++) {
          const unit = units[i];
          const nearest = unitTransform(work, unit.head, null);
          const uctx: UnitContext = {
            run, unit, runUnit: (x, tap) => workModel.runUnit(unit, x, { transform: nearest, tap }), inputQuant: work.parts.activations.get(unit.head) ?? null,
            ...unitPieceMapping(pool, work, unit),
          };
          await hooks.calibration.unitStart.promise(uctx);
          // As many defender samples as fit the memory budget beside the unit's passes (all of them, unless the model is large).
          const available = ctx.batches.reduce((n, b) => n + b.shape[0], 0);
          const measured = await measureUnit(ctx, work, fp, unit, o, config, shiftRadius(o, uctx.inputQuant));
          const cache = planUnitCache(work, fp, unit, available, { batch: ctx.batch, trainBatch: o.batchSize, label: `unit ${i + 1}/${units.length}`, ...measured });
          if (cache.note) ctx.progress.note?.(cache.note);
          // On the pool each worker caches (and PDA moves) a share of the pieces: the one-thread cache.
          const cached = await cacheUnit(pool, work, fp, unit, ctx.batches, cache);
          const targets = cached.targets;
          const inputs = await hooks.calibration.unitInputs.promise(cached.inputs, uctx);
          const shift = shiftRadius(o, uctx.inputQuant);
          const host = hostCache(inputs, targets, shift, ctx.seed * 7_919 + i, pool !== null);
          const report = await correctUnit(ctx, run, work, unit, host, o, config, i, shift, { scoreBatch: cache.unitBatch, stepBatch: cache.stepBatch }, pool);
          await hooks.calibration.unitDone.promise(uctx, report);
          await ctx.checkpoint.save(i + 1, workModel);
        }
      } finally {
        await pool?.close();
      }
      await hooks.calibration.runDone.promise(run);
      return new QuantizedModel({ ...q.parts, model: workModel, weightsOnGrid: true });
    },
  };
}
