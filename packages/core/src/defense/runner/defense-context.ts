import type * as tf from '@tensorflow/tfjs-core';
import { defenderBatches } from '../../data/defender-batches.js';
import type { ImageSet, Normalization } from '../../data/image-set.js';
import { defenderSubset } from '../../data/subsets.js';
import type { GraphModel } from '../../ir/graph-model.js';
import type { JsonObject } from '../../io/folder/index.js';
import type { Engine } from '../../kernel/engine.js';
import type { QuantizerProfile } from '../../quant/profile.js';
import { quantizeModel } from '../../quant/quantize-model.js';
import type { QuantizedModel } from '../../quant/quantized-model.js';
import type { AugmentSpec } from '../../train/augment.js';
import { startDefenseRun } from '../defense-run.js';
import type { DefenseCheckpoint, DefenseContext, DefenseProgress, Preset } from '../defense-plugin.js';
import { NO_CHECKPOINT } from './checkpoint-folder.js';

export interface DefenseContextOptions {
  readonly engine: Engine;
  /** The full-precision model as received. */
  readonly fp: GraphModel;
  /** Its naive quantization for `profile`, calibrated on `calibration`. */
  readonly quantized: QuantizedModel;
  readonly profile: QuantizerProfile;
  /** The batches `quantized` was calibrated on: a model the run's model stage prepares is quantized on them too. */
  readonly calibration: readonly tf.Tensor4D[];
  readonly defense: string;
  /** The whole training set: the defender's share is cut from it. */
  readonly train: ImageSet;
  readonly normalization: Normalization;
  /** The dataset's training augmentation (crop, flip) for training defenses; none by default. */
  readonly augmentation?: AugmentSpec;
  readonly share: number;
  readonly samples: number;
  /** Batch size of the cached defender batches, default 128. */
  readonly batchSize?: number;
  /** Samples per forward pass (--batch) of the defense's caching and evaluation passes; default what fits memory. */
  readonly batch?: number;
  /**
   * The defender batches, when the caller holds the same ones already (its calibration
   * batches): used as they are, and released by the caller, not by the context.
   */
  readonly batches?: readonly tf.Tensor4D[];
  readonly augmentations: readonly string[];
  readonly preset: Preset;
  readonly options: JsonObject;
  readonly seed: number;
  readonly progress?: DefenseProgress;
  readonly checkpoint?: DefenseCheckpoint;
}

/** A defense context and the batches it owns. */
export interface PreparedDefense {
  readonly ctx: DefenseContext;
  /**
   * The models the run's model stage made (the prepared full-precision model and its
   * quantization), empty when no tap changed the model: the caller releases them, after the
   * defense's result is out of use when the result shares one.
   */
  readonly made: readonly GraphModel[];
  /** Releases the cached defender batches. */
  dispose(): void;
}

const SILENT: DefenseProgress = { stage: () => undefined, step: () => undefined, stageDone: () => undefined };

/**
 * What a defense run gets: the defender's share of the training set (labelled), up to
 * `samples` of it as normalised batches in a fixed order, and a run whose hooks carry only
 * the selected augmentations (a bad augmentation option fails here, before any work). The
 * run's model stage (`hooks.model.prepare`) fires here: when a tap returns a new model, the
 * defense starts from it and from its quantization on the same calibration batches.
 */
export async function prepareDefense(o: DefenseContextOptions): Promise<PreparedDefense> {
  const note = o.progress?.note?.bind(o.progress);
  const run = startDefenseRun(o.engine, { defense: o.defense, augmentations: o.augmentations, preset: o.preset, options: o.options, seed: o.seed, ...(note ? { note } : {}) });
  const made: GraphModel[] = [];
  const fp = await run.hooks.model.prepare.promise(o.fp, { profile: o.profile, quantized: o.quantized, calibration: o.calibration });
  let quantized = o.quantized;
  if (fp !== o.fp) {
    made.push(fp);
    try {
      quantized = await quantizeModel(fp, o.profile, o.calibration, { hooks: o.engine.hooks.quantizer, ...(o.batch !== undefined ? { batch: o.batch } : {}) });
    } catch (e) {
      fp.dispose();
      throw e;
    }
    if (quantized.model !== fp) made.push(quantized.model);
  }
  const batches: readonly tf.Tensor4D[] = o.batches ?? defenderBatches(o.train, o.normalization, { share: o.share, samples: o.samples, batchSize: o.batchSize });
  const ctx: DefenseContext = {
    engine: o.engine, fp, quantized, profile: o.profile,
    data: defenderSubset(o.train, o.share, 0), normalization: o.normalization, batches,
    ...(o.batch !== undefined ? { batch: o.batch } : {}),
    ...(o.augmentation ? { augmentation: o.augmentation } : {}),
    augmentations: run.augmentations, preset: o.preset, options: o.options, seed: o.seed,
    progress: o.progress ?? SILENT,
    checkpoint: o.checkpoint ?? NO_CHECKPOINT,
    hooks: run.hooks,
  };
  return { ctx, made, dispose: () => (o.batches ? undefined : batches.forEach((b) => b.dispose())) };
}
