import { rm } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { defenderBatches } from '../../data/defender-batches.js';
import type { Dataset, Normalization } from '../../data/image-set.js';
import { QcbError } from '../../errors.js';
import { GraphModel } from '../../ir/graph-model.js';
import type { JsonObject, QcbSidecar } from '../../io/folder/index.js';
import { saveQuantizedModel } from '../../io/quantized-io.js';
import type { Engine } from '../../kernel/engine.js';
import { checkDefenseOptionKeys } from '../defense-module.js';
import type { DefenseProgress, Preset } from '../defense-plugin.js';
import { quantizeModel } from '../../quant/quantize-model.js';
import type { QuantizedModel } from '../../quant/quantized-model.js';
import { resolveQuantizer } from '../../quant/quantizer-plugin.js';
import { evaluationPlan } from '../../metrics/evaluation-plan.js';
import { describeBatchPlan } from '../../runtime/memory/batch-plan.js';
import { runThreads } from '../../parallel/threads.js';
import { startBaselineJob, type BaselineJob } from './baseline-job.js';
import { evaluateBaselines, evaluateWithProgress, type Baselines } from './baselines.js';
import { NO_CHECKPOINT, defenseCheckpointAt } from './checkpoint-folder.js';
import { baselinesOnThreads, evaluateOnThreads } from './threaded-evaluation.js';
import { prepareDefense, type PreparedDefense } from './defense-context.js';
import { evaluationSet } from './evaluation.js';
import { modelFingerprint } from './fingerprint.js';
import { purifyReport, type PurifyReport } from './report.js';

/** One purification: a model, its deployment profile, a defense and what the defender holds. */
export interface PurifyRequest {
  readonly engine: Engine;
  /** The full-precision model as received; never modified. */
  readonly model: GraphModel;
  /** The deployment profile: a registered quantizer name or a generic `uniform:...` spec. */
  readonly quantizer: string;
  readonly defense: string;
  /** Augmentation plugins for this run (e.g. ['pda']); only these are applied. */
  readonly augmentations?: readonly string[];
  /** Training images: the defender's share is cut from them. Test images: evaluation only. */
  readonly data: Dataset;
  /** Default: the dataset's. */
  readonly normalization?: Normalization;
  /** The model's qcb.json: its trigger and target give the ASR (no defense reads them); written beside the result. */
  readonly sidecar?: QcbSidecar | null;
  /** Share of the training set the defender holds, default 0.05 (the paper's 5%). */
  readonly share?: number;
  /** Samples of that share a defense caches, default 1,024 (the official LAC code's). */
  readonly samples?: number;
  readonly preset?: Preset;
  /** --option overrides; each plugin reads its own keys. */
  readonly options?: JsonObject;
  readonly seed?: number;
  /** Stages of the defense and the evaluations, for progress bars. */
  readonly progress?: DefenseProgress;
  /** Where the purified quantized model is written (atomically); default: not written. */
  readonly out?: string;
  /** The checkpoint folder, default `<out>.checkpoint` (none without `out`); removed once the result is written. */
  readonly checkpointDir?: string;
  /** Evaluate the two baselines on a worker thread beside the defense where that helps (default: with --threads above 1). */
  readonly baselineWorker?: boolean;
  /** One-line notes (e.g. where the baselines run). */
  readonly log?: (line: string) => void;
  /**
   * Samples per forward pass of calibration, evaluation and the defense's caches (--batch);
   * default: what fits the backend's memory (runtime/memory). Results do not depend on it.
   */
  readonly batch?: number;
}

export interface PurifyOutcome {
  /** The purified quantized model; the caller disposes it with `dispose()`. */
  readonly purified: QuantizedModel;
  readonly report: PurifyReport;
  dispose(): void;
}

/** The settings a checkpoint must match to be resumed. */
function runSettings(r: PurifyRequest, resolved: { share: number; samples: number; preset: Preset; seed: number; options: JsonObject; augmentations: readonly string[] }): JsonObject {
  return {
    model: modelFingerprint(r.model), quantizer: r.quantizer, defense: r.defense, augmentations: [...resolved.augmentations],
    preset: resolved.preset, share: resolved.share, samples: resolved.samples, seed: resolved.seed, options: resolved.options,
  };
}

/**
 * Purifies a model for a deployment target (the counterpart of AttackTrainer for defenses):
 * quantizes it with the profile on the defender's data, runs the defense on the model it
 * declares (`operatesOn`) with only the selected augmentations applied, quantizes a
 * full-precision result with the same profile and calibration, evaluates full precision,
 * quantized and defended (BA / ASR) and rates the defense (DER). Checkpoints live in
 * `checkpointDir` until the result is written.
 */
export async function purify(r: PurifyRequest): Promise<PurifyOutcome> {
  const started = performance.now();
  const share = r.share ?? 0.05;
  const samples = r.samples ?? 1024;
  const preset = r.preset ?? 'fast';
  const seed = r.seed ?? 0;
  const options = r.options ?? {};
  const augmentations = r.augmentations ?? [];
  const normalization = r.normalization ?? r.data.normalization;
  const definition = r.engine.plugin('defense', r.defense).definition;
  checkDefenseOptionKeys(options, definition, augmentations.map((a) => r.engine.plugin('augmentation', a)));
  if (r.model.inputShape.join('x') !== r.data.test.shape.join('x')) {
    throw new QcbError('E_USAGE', `the model takes ${r.model.inputShape.join('x')} inputs but ${r.data.name} has ${r.data.test.shape.join('x')} images`);
  }
  const profile = resolveQuantizer(r.engine, r.quantizer);
  const set = evaluationSet(r.engine, r.data.test, r.sidecar ?? null, normalization);
  const checkpointDir = r.checkpointDir ?? (r.out !== undefined ? `${r.out}.checkpoint` : undefined);
  const checkpoint = checkpointDir !== undefined
    ? defenseCheckpointAt(checkpointDir, runSettings(r, { share, samples, preset, seed, options, augmentations }))
    : NO_CHECKPOINT;

  // The undefended model is calibrated on the defender's share: it is all the data they hold.
  const calibration = defenderBatches(r.data.train, normalization, { share });
  // Every model made here; all but the returned one are released at the end.
  const owned: GraphModel[] = [];
  let prepared: PreparedDefense | null = null;
  let outcome: PurifyOutcome | null = null;
  let background: BaselineJob | null = null;
  try {
    const batch = r.batch !== undefined ? { batch: r.batch } : {};
    // The side worker evaluates the full-precision model while this thread quantizes.
    background = (r.baselineWorker ?? runThreads() > 1) ? await startBaselineJob(r.model, set, r.batch) : null;
    const quantized = await quantizeModel(r.model, profile, calibration, { hooks: r.engine.hooks.quantizer, ...batch });
    if (quantized.model !== r.model) owned.push(quantized.model);
    const evaluation = evaluationPlan(quantized, batch);
    if (evaluation.limited) r.log?.(describeBatchPlan(evaluation));
    // The selected augmentations are applied here, so that a bad option value fails before any evaluation.
    prepared = await prepareDefense({
      engine: r.engine, fp: r.model, quantized, profile, calibration, defense: r.defense, train: r.data.train, normalization, augmentation: r.data.augmentation,
      share, samples, augmentations, preset, options, seed, progress: r.progress, checkpoint, ...batch,
      // The default 1,024 samples are the calibration batches themselves: one copy, not two (a 224x224 share is 600 MiB).
      ...(samples === 1024 ? { batches: calibration } : {}),
    });
    owned.push(...prepared.made);
    await background?.quantized(quantized);
    if (background) r.log?.('evaluating the fp and the quantized model on a worker thread, beside the defense');
    // Without the side worker: on the pool's workers (threaded-evaluation.ts) before the defense takes them, else here.
    const baselines: Promise<Baselines> = background ? background.result : Promise.resolve(await baselinesOnThreads(
      { label: 'evaluating fp', model: r.model, batch: evaluationPlan(r.model, batch).batch },
      { label: 'evaluating quantized', model: quantized, batch: evaluationPlan(quantized, batch).batch },
      set, { progress: r.progress }, () => evaluateBaselines(r.model, quantized, set, r.progress, r.batch),
    ));
    const purified = await defendedModel(r, definition.operatesOn, await definition.run(prepared.ctx), profile, calibration, owned);
    const defendedPlan = evaluationPlan(purified, batch);
    const defended = await evaluateOnThreads({ label: 'evaluating defended', model: purified, batch: defendedPlan.batch }, set, { progress: r.progress },
      () => evaluateWithProgress('evaluating defended', (x) => purified.predict(x), set, r.progress, defendedPlan));
    const { fp, quantized: undefended } = await baselines;
    if (r.out !== undefined) await saveQuantizedModel(r.out, purified, r.sidecar ?? null);
    if (checkpointDir !== undefined) await rm(checkpointDir, { recursive: true, force: true });
    const kept = purified.model;
    outcome = {
      purified,
      report: purifyReport(fp, undefended, defended, (performance.now() - started) / 1000, runThreads()),
      dispose: () => {
        if (kept !== r.model) kept.dispose();
      },
    };
    return outcome;
  } finally {
    await background?.stop();
    prepared?.dispose();
    tf.dispose(calibration);
    for (const m of owned) if (m !== outcome?.purified.model) m.dispose();
  }
}

/** The defense's result as a quantized model: a full-precision result is quantized with the run's profile and calibration. */
async function defendedModel(
  r: PurifyRequest, operatesOn: 'quantized' | 'full-precision', result: QuantizedModel | GraphModel,
  profile: ReturnType<typeof resolveQuantizer>, calibration: readonly tf.Tensor4D[], owned: GraphModel[],
): Promise<QuantizedModel> {
  if (result instanceof GraphModel) {
    if (operatesOn !== 'full-precision') {
      throw new QcbError('E_PLUGIN', `defense "${r.defense}" works on the quantized model but returned a full-precision one`);
    }
    if (result !== r.model) owned.push(result);
    const q = await quantizeModel(result, profile, calibration, { hooks: r.engine.hooks.quantizer, ...(r.batch !== undefined ? { batch: r.batch } : {}) });
    if (q.model !== result) owned.push(q.model);
    return q;
  }
  if (operatesOn !== 'quantized') {
    throw new QcbError('E_PLUGIN', `defense "${r.defense}" works on the full-precision model but returned a quantized one`);
  }
  if (result.model !== r.model) owned.push(result.model);
  return result;
}

