import * as tf from '@tensorflow/tfjs-core';
import {
  QcbError, createOptimizer, epochBatches, loadTrainingResume, phaseModel, stepsPerEpoch, variableKeys,
  type Batch, type DefenseContext, type DefenseDefinition, type EpochBatchOptions, type GraphModel, type TrainingResume,
} from '@qcb/core';
import { IBAU_FAST, resolveIbauOptions, type IbauOptions } from './options.js';
import { IBAU_STAGE, localTerms, outerStep, patchMask, type OuterStepSetup } from './outer-step.js';
import { localSearchGradient, searchPerturbation, type SearchGradient } from './perturbation.js';
import { IbauPool } from './pool.js';
import { exactSecondOrder, finiteDifferenceSecondOrder, supportsExactSecondOrder, type InnerLoss, type SecondOrder } from './second-order.js';

export const IBAU_PHASE = 'unlearn';

/** The images and true labels of the hypergradient's inner loss: the first outer batch (the authors' `images_list[0]`). */
function innerBatch(ctx: DefenseContext, batches: EpochBatchOptions, size: number): Batch {
  const first = epochBatches(ctx.data, 0, batches).next();
  if (first.done) throw new QcbError('E_USAGE', 'i-bau: the defender\'s share holds no labelled image to unlearn with');
  const { x, y } = first.value;
  if (size <= 0 || size >= x.shape[0]) return first.value;
  const cut = { x: tf.slice(x, 0, size), y: tf.slice(y, 0, size) };
  tf.dispose([x, y]);
  return cut;
}

/** How the second-order products are computed: by double backpropagation where tfjs can, else by central differences. */
function secondOrderKind(o: IbauOptions, model: GraphModel): 'exact' | 'finite-difference' {
  const exact = supportsExactSecondOrder(model);
  if (o.hypergradient === 'exact' && !exact) {
    throw new QcbError('E_USAGE', '--option hypergradient=exact: the model has ops that tfjs cannot differentiate twice (use auto or finite-difference)');
  }
  return o.hypergradient === 'finite-difference' || !exact ? 'finite-difference' : 'exact';
}

function secondOrderFor(kind: 'exact' | 'finite-difference', inner: InnerLoss): SecondOrder {
  return kind === 'exact' ? exactSecondOrder(inner) : finiteDifferenceSecondOrder(inner);
}

function checkResume(resume: TrainingResume | null, o: IbauOptions): void {
  if (resume && resume.epoch > o.rounds) {
    throw new QcbError('E_USAGE', `the checkpoint is at round ${resume.epoch} of ${o.rounds} (delete it to start over, or rerun with the same options)`);
  }
}

/** One round: a fresh perturbation (the inner problem), then one outer step per batch of the fixed list. */
async function unlearnRound(ctx: DefenseContext, setup: OuterStepSetup, search: SearchGradient, o: IbauOptions, batchOptions: EpochBatchOptions, round: number): Promise<void> {
  const steps = stepsPerEpoch(ctx.data.count, batchOptions);
  ctx.progress.stage(`round ${round + 1}/${o.rounds}`, steps);
  // A fresh pass over the share for the search (BackdoorBench's shuffled loader).
  const found = await searchPerturbation(setup.model, epochBatches(ctx.data, round + 1, batchOptions), {
    lr: o.perturbLr, reg: o.perturbReg, steps: o.perturbSteps, normBound: o.normBound,
  }, search);
  const delta = tf.variable(found, true);
  found.dispose();
  try {
    let lossSum = 0;
    let step = 0;
    // The same list of batches every round (the authors' `images_list`), each through the run's data.batch hook.
    for (const raw of epochBatches(ctx.data, 0, batchOptions)) {
      let batch: Batch = raw;
      let mask: tf.Tensor | null = null;
      try {
        batch = await ctx.hooks.data.batch.promise(raw, { consumer: IBAU_STAGE, model: setup.model, epoch: round, step, preset: ctx.preset, options: ctx.options });
        mask = patchMask(batch.x.shape[0], o.patchPortion, ((ctx.seed * 7_919 + round) * 1_000_003 + step) >>> 0);
        const r = await outerStep(setup, batch, mask, delta, o.lr);
        lossSum += r.loss;
        ctx.progress.step(step + 1, `loss ${r.loss.toPrecision(4)}`);
      } finally {
        // A tap that replaced the images may have released them already: dispose is idempotent.
        tf.dispose([raw.x, raw.y, batch.x, batch.y, ...(mask ? [mask] : [])]);
      }
      step++;
      // Let timers and signals through between steps.
      await new Promise((r) => setImmediate(r));
    }
    ctx.progress.stageDone(`loss ${(lossSum / Math.max(1, step)).toPrecision(4)}, |delta| ${tf.tidy(() => tf.norm(delta).dataSync()[0]).toPrecision(4)}`);
  } finally {
    delta.dispose();
  }
}

/** The rounds on `model`, with a checkpoint (the model and Adam's slots) after each. */
async function unlearn(ctx: DefenseContext, model: GraphModel, o: IbauOptions, resume: TrainingResume | null): Promise<void> {
  const batchOptions: EpochBatchOptions = {
    batchSize: Math.max(1, Math.min(o.batchSize, ctx.data.count)), seed: ctx.seed, normalization: ctx.normalization, keepPartial: true,
    ...(ctx.augmentation ? { augment: ctx.augmentation } : {}),
  };
  const { variables, keys } = variableKeys(model);
  const optimizer = createOptimizer({ type: 'adam' }, variables, keys);
  const inner = innerBatch(ctx, batchOptions, o.innerBatchSize);
  const kind = secondOrderKind(o, model);
  // With --threads N > 1 the gradients and products are summed over N workers (pool.ts),
  // unless a plugin adds loss terms, which only this thread's loss carries.
  const pool = ctx.hooks.loss.terms.taps.length === 0
    ? await IbauPool.open(model, variables, keys, { x: inner.x, y: inner.y, reg: o.perturbReg }, kind)
    : null;
  try {
    const setup: OuterStepSetup = {
      model, optimizer,
      terms: pool ?? localTerms(model, ctx.hooks, variables, secondOrderFor(kind, { model, vars: variables, x: inner.x, y: inner.y, reg: o.perturbReg })),
      fixedPoint: { iterations: o.fixedPointIterations, step: o.innerStep },
    };
    const search: SearchGradient = pool ? (x, delta, reg) => pool.searchGradient(x, delta, reg) : localSearchGradient(model);
    if (resume) optimizer.loadState(resume.slots);
    for (let round = resume?.epoch ?? 0; round < o.rounds; round++) {
      await unlearnRound(ctx, setup, search, o, batchOptions, round);
      await ctx.checkpoint.save(round + 1, model, { state: { phase: IBAU_PHASE, epoch: round + 1 }, slots: await optimizer.state() });
    }
  } finally {
    await pool?.close();
    optimizer.dispose();
    tf.dispose([inner.x, inner.y]);
  }
}

/**
 * I-BAU (Zeng et al., ICLR 2022): adversarial unlearning of backdoors via implicit
 * hypergradient, on a copy of the full-precision model; the runner quantizes the result.
 * Each round finds a universal perturbation that maximises the model's loss on the
 * defender's clean share (the inner problem), then updates the model on the share with the
 * perturbation added, by the implicit hypergradient of that bilevel problem (K fixed-point
 * iterations). Every outer batch passes through the run's `data.batch` hook, so
 * `--augment pda` moves the images first. A run resumes from its last round's checkpoint.
 */
export function createIbau(): DefenseDefinition {
  return {
    operatesOn: 'full-precision',
    optionKeys: Object.keys(IBAU_FAST),
    async run(ctx): Promise<GraphModel> {
      const o = resolveIbauOptions(ctx.preset, ctx.options);
      const resume = await loadTrainingResume(ctx, [IBAU_PHASE]);
      const model = phaseModel(resume, IBAU_PHASE, ctx.fp);
      try {
        checkResume(resume, o);
        await unlearn(ctx, model, o, resume);
      } catch (e) {
        model.dispose();
        throw e;
      }
      return model;
    },
  };
}
