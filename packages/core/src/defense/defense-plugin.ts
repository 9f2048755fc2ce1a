import type * as tf from '@tensorflow/tfjs-core';
import type { ImageSet, Normalization } from '../data/image-set.js';
import type { GraphModel } from '../ir/graph-model.js';
import type { JsonObject } from '../io/folder/index.js';
import type { Engine } from '../kernel/engine.js';
import type { QuantizerProfile } from '../quant/profile.js';
import type { QuantizedModel } from '../quant/quantized-model.js';
import type { AugmentSpec } from '../train/augment.js';
import type { SlotState } from '../train/optimizers/index.js';
import type { DefenseRunHooks } from './defense-run.js';

/** The budget of a defense run. */
export type Preset = 'paper' | 'fast';

/** Reports of a long defense run (the CLI draws progress bars from them). */
export interface DefenseProgress {
  /** A new stage starts (e.g. unit 3/10), with its step count. */
  stage(label: string, steps: number): void;
  step(done: number, info?: string): void;
  stageDone(info?: string): void;
  /** A one-line remark on the run, e.g. that a unit caches fewer samples to stay within memory. */
  note?(line: string): void;
}

/** What a defense saved to resume from: the model after `done` units (LAC) or epochs (a training defense). */
export interface DefenseResume {
  readonly done: number;
  readonly model: GraphModel;
  /** The defense's own JSON state (e.g. its training phase). */
  readonly state?: JsonObject;
  /** Optimizer slots, so that resumed training continues exactly. */
  readonly slots?: readonly SlotState[];
}

/** Resumable state of a defense run, kept by the runner beside the output until the run succeeds. */
export interface DefenseCheckpoint {
  load(): Promise<DefenseResume | null>;
  save(done: number, model: GraphModel, extra?: { readonly state?: JsonObject; readonly slots?: readonly SlotState[] }): Promise<void>;
}

/** What a defense run gets. Defenses never read the trigger or target. */
export interface DefenseContext {
  readonly engine: Engine;
  /**
   * The full-precision model the defense starts from; never modified: the model as received,
   * or the function-preserving rewrite of it that the run's model stage returned.
   */
  readonly fp: GraphModel;
  /** The naive quantization of `fp` for the deployment profile. */
  readonly quantized: QuantizedModel;
  readonly profile: QuantizerProfile;
  /** The defender's labelled data (a share of the training set) and its normalisation. */
  readonly data: ImageSet;
  readonly normalization: Normalization;
  /** The dataset's training augmentation (crop, flip), for defenses that train on images. */
  readonly augmentation?: AugmentSpec;
  /** Normalised input batches of the defender data, in a fixed order (at most 1,024 images). */
  readonly batches: readonly tf.Tensor4D[];
  /**
   * Samples per forward pass of caching and evaluation passes (--batch); undefined: what fits
   * the backend's memory (runtime/memory). Training batch sizes are the defense's own.
   */
  readonly batch?: number;
  /** Augmentation plugins selected with --augment. */
  readonly augmentations: readonly string[];
  readonly preset: Preset;
  /** Plugin-specific overrides (--option key=value, --iterations N). */
  readonly options: JsonObject;
  readonly seed: number;
  readonly progress: DefenseProgress;
  readonly checkpoint: DefenseCheckpoint;
  /** The run's hooks (calibration, loss, data stages), the selected augmentations tapped in. */
  readonly hooks: DefenseRunHooks;
}

/** A defense: returns the purified quantized model, or a repaired fp model that the caller quantizes. */
export interface DefenseDefinition {
  /** 'quantized': corrects the quantized model (LAC); 'full-precision': repairs fp, then it is quantized. */
  readonly operatesOn: 'quantized' | 'full-precision';
  /**
   * The `--option` keys the defense reads. When the defense and every selected
   * augmentation declare theirs, `qcb purify` rejects any other key (a typo is an error,
   * not a silently ignored setting).
   */
  readonly optionKeys?: readonly string[];
  run(ctx: DefenseContext): Promise<QuantizedModel | GraphModel>;
}
