import type * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../errors.js';
import type { GraphModel } from '../ir/graph-model.js';
import type { EngineHooks } from '../kernel/hooks.js';
import type { QuantizerProfile } from '../quant/profile.js';
import { quantizeModel } from '../quant/quantize-model.js';
import { activationStats } from './activation-pass.js';
import { DEFAULT_BINS, driftPasses, fpDriftNodes, measureDrift, type UnitDrift } from './drift.js';
import { backdoorImportance, pruningLossIncrease, type LabelledBatch, type PruneTarget } from './importance.js';
import { DEFAULT_KL_EPSILON } from './kl.js';
import { favouredClass } from './favoured-class.js';
import { DEFAULT_SCORE_TOP, suspicionScore } from './score.js';

export interface ScanNeuronReport {
  /** Output channel of the unit's head. */
  readonly channel: number;
  /** KL(fp || quantized) of its pre-activation histograms, in nats. */
  readonly kl: number;
  /** KL relative to its peers' (see `suspicionScore`). */
  readonly relative: number;
  /** (quantized mean - fp mean) / fp standard deviation. */
  readonly shift: number;
  /** Definition 3.1's tau on the quantized model (only when qcb.json names a trigger and target). */
  readonly importance?: number;
  /** The same loss increase on the clean images with their labels; importance - benignImportance is the paper's modified tau (Appendix F). */
  readonly benignImportance?: number;
}

export interface ScanUnitReport {
  /** The unit's head node. */
  readonly unit: string;
  readonly index: number;
  /** The node measured in full precision (its pre-activation). */
  readonly node: string;
  readonly channels: number;
  readonly meanKl: number;
  /** The most drifting neurons, most first. */
  readonly neurons: ScanNeuronReport[];
}

export interface ScanProfileReport {
  /**
   * The suspicion score: how far quantization raises one class's logit above the median
   * class's on the defender's clean images, in full-precision standard deviations (see
   * `favouredClass`).
   */
  readonly score: number;
  /** The class whose logit rises most: the likely target. */
  readonly favouredClass: number;
  /** The output unit the score reads. */
  readonly outputUnit: string;
  /** Mean relative drift of the `scoreTop` most drifting neurons of the whole model (see `suspicionScore`). */
  readonly neuronScore: number;
  readonly topKl: number;
  readonly medianKl: number;
  readonly neurons: number;
  readonly units: ScanUnitReport[];
}

export interface ScanReport {
  readonly bins: number;
  readonly epsilon: number;
  readonly top: number;
  /** Neurons `neuronScore` averages. */
  readonly scoreTop: number;
  /** Defender images the drift was measured on. */
  readonly images: number;
  /** The attack's target class when the importance was measured, else null. */
  readonly target: number | null;
  readonly profiles: Record<string, ScanProfileReport>;
}

export interface ScanProgress {
  /** 'full precision' or a profile's name. */
  readonly stage: string;
  readonly done: number;
  readonly total: number;
}

export interface ScanOptions {
  readonly profiles: readonly QuantizerProfile[];
  /** The defender's normalised images: calibration of every profile and drift. */
  readonly batches: readonly tf.Tensor4D[];
  readonly bins?: number;
  readonly epsilon?: number;
  /** Most drifting neurons reported per unit (default 5). */
  readonly top?: number;
  /** Most drifting neurons of the whole model the score averages (default 5). */
  readonly scoreTop?: number;
  /** Triggered images labelled with the target and clean labelled images: importance of the reported neurons. */
  readonly backdoor?: { readonly target: number; readonly triggered: readonly LabelledBatch[]; readonly clean?: readonly LabelledBatch[] } | null;
  readonly hooks?: EngineHooks['quantizer'];
  readonly onProgress?: (p: ScanProgress) => void;
}

function topChannels(kl: Float64Array, top: number): number[] {
  return Array.from(kl.keys()).sort((a, b) => kl[b] - kl[a] || a - b).slice(0, top);
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return values.length > 0 ? s / values.length : 0;
}

/**
 * Scans a full-precision model for a quantization-conditioned backdoor with the defender's
 * unlabelled images alone: for each deployment profile, quantizes the model (calibrated on
 * `batches`, as every command), measures every neuron's activation drift (`measureDrift`),
 * reports each unit's most drifting neurons and scores the profile by the class quantization
 * favours on clean images (`favouredClass`), with the neurons' relative drift beside it
 * (`suspicionScore`).
 * With `backdoor`, the reported neurons' Definition 3.1 importance comes along for
 * comparison; it never enters the score.
 */
export async function scanModel(model: GraphModel, o: ScanOptions): Promise<ScanReport> {
  const bins = o.bins ?? DEFAULT_BINS;
  const epsilon = o.epsilon ?? DEFAULT_KL_EPSILON;
  const top = o.top ?? DEFAULT_SCORE_TOP;
  const scoreTop = o.scoreTop ?? DEFAULT_SCORE_TOP;
  for (const [name, v] of [['top', top], ['scoreTop', scoreTop]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new QcbError('E_USAGE', `${name} must be a positive integer, got ${v}`);
  }
  if (o.profiles.length === 0) throw new QcbError('E_USAGE', 'scan needs at least one quantizer profile');
  if (o.batches.length === 0) throw new QcbError('E_USAGE', 'scan needs at least one batch of defender images');
  const progress = (stage: string, total: number): (() => void) => {
    let done = 0;
    o.onProgress?.({ stage, done, total });
    return () => o.onProgress?.({ stage, done: ++done, total });
  };

  const fpStats = await activationStats(model, fpDriftNodes(model), o.batches, { onBatch: progress('full precision', o.batches.length) });
  const backdoor = o.backdoor && o.backdoor.triggered.length > 0 ? o.backdoor : null;
  const profiles: Record<string, ScanProfileReport> = {};
  for (const profile of o.profiles) {
    const units = model.units().length;
    const importanceSteps = backdoor ? units * (backdoor.triggered.length + (backdoor.clean?.length ?? 0)) : 0;
    const step = progress(profile.name, 1 + driftPasses(o.batches.length, true) + importanceSteps);
    const quantized = await quantizeModel(model, profile, o.batches, { hooks: o.hooks });
    try {
      step();
      const drift = await measureDrift(model, quantized, o.batches, { bins, epsilon, fpStats, onBatch: step });
      const chosen = drift.map((u) => topChannels(u.kl, top));
      let importance: Float64Array[] | null = null;
      let benign: Float64Array[] | null = null;
      if (backdoor) {
        const targets: PruneTarget[] = drift.map((u, i) => ({ node: u.quantizedNode, channels: chosen[i] }));
        importance = await backdoorImportance(quantized, targets, backdoor.triggered, { onStep: step });
        if (backdoor.clean && backdoor.clean.length > 0) benign = await pruningLossIncrease(quantized, targets, backdoor.clean, { onStep: step });
      }
      const s = suspicionScore(drift.map((u) => u.kl), scoreTop);
      const output = drift.reduce((a, b) => (b.index > a.index ? b : a));
      const favoured = favouredClass(output.shift);
      profiles[profile.name] = {
        score: favoured.rise,
        favouredClass: favoured.class,
        outputUnit: output.unit,
        neuronScore: s.score,
        topKl: s.topKl,
        medianKl: s.medianKl,
        neurons: s.neurons,
        units: drift.map((u: UnitDrift, i) => ({
          unit: u.unit,
          index: u.index,
          node: u.node,
          channels: u.kl.length,
          meanKl: mean(u.kl),
          neurons: chosen[i].map((channel, j) => ({
            channel,
            kl: u.kl[channel],
            relative: s.relative[i][channel],
            shift: u.shift[channel],
            ...(importance ? { importance: importance[i][j] } : {}),
            ...(benign ? { benignImportance: benign[i][j] } : {}),
          })),
        })),
      };
    } finally {
      if (quantized.model !== model) quantized.model.dispose();
    }
  }
  const images = o.batches.reduce((n, b) => n + b.shape[0], 0);
  return { bins, epsilon, top, scoreTop, images, target: backdoor ? backdoor.target : null, profiles };
}
