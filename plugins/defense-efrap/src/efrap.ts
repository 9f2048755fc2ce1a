import * as tf from '@tensorflow/tfjs-core';
import {
  GraphModel, QuantizedModel, StepPool, cacheUnit, cloneGraph, planUnitCache, runThreads, unitPieceMapping,
  type CalibrationRun, type DefenseContext, type DefenseDefinition, type UnitContext,
} from '@qcb/core';
import { learnUnitRounding } from './learn-unit.js';
import { EFRAP_FAST, resolveEfrapOptions, type EfrapOptions } from './options.js';

/**
 * Unit by unit from `from`, each unit's rounding learned on its cache, a checkpoint after each.
 * With a pool, its workers compute each cache (and PDA moves it) a share of the pieces each,
 * and train the unit's logits (learn-unit.ts).
 */
async function learnRoundings(ctx: DefenseContext, run: CalibrationRun, work: QuantizedModel, o: EfrapOptions, from: number, pool: StepPool | null): Promise<void> {
  const fp = ctx.quantized.model;
  const nearest = work.transform({ activations: false });
  for (let i = from; i < run.units.length; i++) {
    const unit = run.units[i];
    const uctx: UnitContext = {
      run, unit, inputQuant: work.parts.activations.get(unit.head) ?? null,
      runUnit: (x, tap) => work.model.runUnit(unit, x, { transform: nearest, ...(tap ? { tap } : {}) }),
      ...unitPieceMapping(pool, work, unit),
    };
    await ctx.hooks.calibration.unitStart.promise(uctx);
    if (!work.parts.weights.has(unit.head)) {
      // A head the profile leaves in full precision has no grid to round on.
      await ctx.hooks.calibration.unitDone.promise(uctx, { steps: 0 });
    } else {
      const available = ctx.batches.reduce((n, b) => n + b.shape[0], 0);
      const cache = planUnitCache(work, fp, unit, available, { batch: ctx.batch, trainBatch: o.batchSize, label: `unit ${i + 1}/${run.units.length}` });
      if (cache.note) ctx.progress.note?.(cache.note);
      const cached = await cacheUnit(pool, work, fp, unit, ctx.batches, cache);
      const targets = cached.targets;
      const inputs = await ctx.hooks.calibration.unitInputs.promise(cached.inputs, uctx);
      const x = tf.concat(inputs);
      const y = tf.concat(targets);
      tf.dispose([...inputs, ...targets]);
      try {
        const report = await learnUnitRounding(ctx, work, unit, x, y, o, i, pool);
        await ctx.hooks.calibration.unitDone.promise(uctx, { steps: report.steps, initialLoss: report.initialLoss, finalLoss: report.finalLoss });
      } finally {
        tf.dispose([x, y]);
      }
    }
    await ctx.checkpoint.save(i + 1, work.model);
  }
}

/**
 * EFRAP (Li et al., CVPR 2024, "Nearest is Not Dearest"): on the quantized model with its
 * grids (scale, zero point) and activation calibration fixed, learns for every weight whether
 * to keep nearest rounding or flip to the other neighbour, unit by unit (a conv/dense and its
 * chain), guided by the truncation error of nearest rounding (error-guided flipped rounding)
 * under a layer-wise reconstruction of the full-precision activations on the defender's
 * unlabelled data (activation preservation). Fires the calibration hooks per unit as LAC does
 * (`--augment pda` moves the cached inputs in `unitInputs`) and checkpoints after each unit.
 */
export function createEfrap(): DefenseDefinition {
  return {
    operatesOn: 'quantized',
    optionKeys: Object.keys(EFRAP_FAST),
    async run(ctx) {
      const o = resolveEfrapOptions(ctx.preset, ctx.options);
      const q = ctx.quantized;
      const resumed = await ctx.checkpoint.load();
      const workModel = resumed?.model ?? new GraphModel(cloneGraph(q.model.graph));
      try {
        const work = new QuantizedModel({ ...q.parts, model: workModel, weightsOnGrid: false });
        const run: CalibrationRun = {
          model: q.model, work: workModel, defense: 'efrap', units: workModel.units(), augmentations: ctx.augmentations, preset: ctx.preset, options: ctx.options,
        };
        await ctx.hooks.calibration.runStart.promise(run);
        // With --threads N > 1, N workers share each unit's caching and steps.
        const pool = await StepPool.start(runThreads());
        try {
          await learnRoundings(ctx, run, work, o, resumed?.done ?? 0, pool);
        } finally {
          await pool?.close();
        }
        await ctx.hooks.calibration.runDone.promise(run);
      } catch (e) {
        workModel.dispose();
        throw e;
      }
      return new QuantizedModel({ ...q.parts, model: workModel, weightsOnGrid: true });
    },
  };
}
