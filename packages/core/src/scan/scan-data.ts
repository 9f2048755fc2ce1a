import * as tf from '@tensorflow/tfjs-core';
import { imageBatch, normalize } from '../data/batches.js';
import { defenderBatches } from '../data/defender-batches.js';
import type { ImageSet, Normalization } from '../data/image-set.js';
import { defenderSubset, subset } from '../data/subsets.js';
import { evaluationSet } from '../defense/runner/evaluation.js';
import type { QcbSidecar } from '../io/folder/index.js';
import type { Engine } from '../kernel/engine.js';
import type { LabelledBatch } from './importance.js';

/** Default number of defender images the importance of each neuron is measured on. */
export const DEFAULT_IMPORTANCE_SAMPLES = 256;

export interface ScanDataOptions {
  /** Share of the training set the defender holds (default 0.05, as every command). */
  readonly share?: number;
  /** At most this many defender images (default 1024). */
  readonly samples?: number;
  /** At most this many of them for the backdoor importance (default 256). */
  readonly importanceSamples?: number;
  readonly batchSize?: number;
}

/** The images a scan runs on; `dispose()` frees every tensor. */
export interface ScanData {
  /** The defender's normalised images: calibration of every profile and drift measurement. */
  readonly batches: tf.Tensor4D[];
  /** Present when qcb.json names a trigger and target (evaluation only: the drift and the score never read it). */
  readonly backdoor: {
    readonly target: number;
    /** Defender images of other classes with the trigger, labelled with the target. */
    readonly triggered: LabelledBatch[];
    /** The same defender images, clean, with their true labels (all classes). */
    readonly clean: LabelledBatch[];
  } | null;
  dispose(): void;
}

function labelledBatches(set: ImageSet, normalization: Normalization, batchSize: number, label?: number): LabelledBatch[] {
  const out: LabelledBatch[] = [];
  for (let start = 0; start < set.count; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, set.count - start) }, (_, i) => start + i);
    const { x, y } = imageBatch(set, idx);
    out.push({ x: normalize(x, normalization), y: label === undefined ? y : tf.fill([idx.length], label, 'int32') });
    x.dispose();
    if (label !== undefined) y.dispose();
  }
  return out;
}

/**
 * The defender's share of `train` as `defenderBatches` makes it (the same calibration as
 * every command), and, when qcb.json names a trigger and target, the first
 * `importanceSamples` of those images triggered (other classes only, as the ASR's set)
 * and clean, for the backdoor importance of Definition 3.1.
 */
export function scanData(engine: Engine, train: ImageSet, sidecar: QcbSidecar | null, normalization: Normalization, o: ScanDataOptions = {}): ScanData {
  const share = o.share ?? 0.05;
  const samples = o.samples ?? 1024;
  const batchSize = o.batchSize ?? 128;
  const batches = defenderBatches(train, normalization, { share, samples, batchSize });
  const clean: LabelledBatch[] = [];
  const triggered: LabelledBatch[] = [];
  const dispose = (): void => tf.dispose([...batches, ...[...clean, ...triggered].flatMap((b) => [b.x, b.y])]);
  let target: number | null = null;
  try {
    if (sidecar?.trigger !== undefined && sidecar.target !== undefined) {
      const defender = defenderSubset(train, share, 0);
      const count = Math.min(defender.count, samples, o.importanceSamples ?? DEFAULT_IMPORTANCE_SAMPLES);
      const chosen = subset(defender, Array.from({ length: count }, (_, i) => i));
      const set = evaluationSet(engine, chosen, sidecar, normalization);
      target = set.target!;
      clean.push(...labelledBatches(chosen, normalization, batchSize));
      triggered.push(...labelledBatches(set.poisoned!, normalization, batchSize, target));
    }
  } catch (e) {
    dispose();
    throw e;
  }
  return { batches, backdoor: target === null ? null : { target, clean, triggered }, dispose };
}
