import type * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../errors.js';
import type { GraphModel } from '../ir/graph-model.js';
import type { QuantizedModel } from '../quant/quantized-model.js';
import { activationStats, forEachActivation } from './activation-pass.js';
import { ChannelHistograms } from './channel-histograms.js';
import type { ChannelStats } from './channel-stats.js';
import { DEFAULT_KL_EPSILON, histogramKl } from './kl.js';
import { preActivationPoints } from './pre-activation.js';

export const DEFAULT_BINS = 64;

/** The drift of every neuron of one unit between full precision and a quantized model. */
export interface UnitDrift {
  /** The unit's head node. */
  readonly unit: string;
  readonly index: number;
  /** The full-precision node measured (see `preActivationNode`). */
  readonly node: string;
  /** The quantized model's node measured (differs when BN was folded). */
  readonly quantizedNode: string;
  /** Per channel: KL(fp || quantized) of the pre-activation histograms, in nats. */
  readonly kl: Float64Array;
  /** Per channel: (quantized mean - fp mean) / fp standard deviation. */
  readonly shift: Float64Array;
}

export interface DriftOptions {
  /** Histogram bins per neuron over the union of both ranges (default 64). */
  readonly bins?: number;
  /** Pseudo-count added to every bin of both histograms before normalising (default 0.5). */
  readonly epsilon?: number;
  /** Full-precision statistics of the same batches, when already measured (they do not depend on the profile). */
  readonly fpStats?: ReadonlyMap<string, ChannelStats>;
  /** Called after every forward pass over one batch. */
  readonly onBatch?: () => void;
}

/** Forward passes `measureDrift` makes over `batches` batches. */
export function driftPasses(batches: number, fpStatsGiven: boolean): number {
  return batches * (fpStatsGiven ? 3 : 4);
}

/** The full-precision nodes `measureDrift` reads, for `activationStats` ahead of several profiles. */
export function fpDriftNodes(fp: GraphModel): string[] {
  return preActivationPoints(fp).map((p) => p.node);
}

/**
 * Activation drift (the paper's section 3) of every neuron: the full-precision and the
 * quantized model run on the same (defender) batches; each neuron's pre-activation values
 * are histogrammed over the same bins, spanning the union of both models' ranges, and
 * compared with KL(fp || quantized). Two passes: ranges, then histograms.
 */
export async function measureDrift(fp: GraphModel, quantized: QuantizedModel, batches: readonly tf.Tensor4D[], o: DriftOptions = {}): Promise<UnitDrift[]> {
  const bins = o.bins ?? DEFAULT_BINS;
  const epsilon = o.epsilon ?? DEFAULT_KL_EPSILON;
  if (!Number.isInteger(bins) || bins < 2) throw new QcbError('E_USAGE', `bins must be an integer >= 2, got ${bins}`);
  if (batches.length === 0) throw new QcbError('E_USAGE', 'activation drift needs at least one batch of images');

  const qPoints = new Map(preActivationPoints(quantized.model).map((p) => [p.unit, p]));
  const pairs = preActivationPoints(fp).flatMap((p) => {
    const q = qPoints.get(p.unit);
    return q ? [{ ...p, quantizedNode: q.node }] : [];
  });
  const fpNodes = pairs.map((p) => p.node);
  const qNodes = pairs.map((p) => p.quantizedNode);
  const qRun = { transform: quantized.transform() };
  const each = { onBatch: o.onBatch };

  const fpStats = o.fpStats ?? (await activationStats(fp, fpNodes, batches, each));
  const qStats = await activationStats(quantized.model, qNodes, batches, { ...each, run: qRun });

  const fpHist = new Map<string, ChannelHistograms>();
  const qHist = new Map<string, ChannelHistograms>();
  for (const p of pairs) {
    const f = fpStats.get(p.node);
    const q = qStats.get(p.quantizedNode);
    if (!f || !q) throw new QcbError('E_USAGE', `no activations were recorded for unit "${p.unit}"`);
    if (f.channels !== q.channels) {
      throw new QcbError('E_USAGE', `unit "${p.unit}" has ${f.channels} channels in full precision but ${q.channels} quantized`);
    }
    const lo = Float64Array.from(f.min, (v, k) => Math.min(v, q.min[k]));
    const hi = Float64Array.from(f.max, (v, k) => Math.max(v, q.max[k]));
    fpHist.set(p.node, new ChannelHistograms(lo, hi, bins));
    qHist.set(p.quantizedNode, new ChannelHistograms(lo, hi, bins));
  }
  await forEachActivation(fp, fpNodes, batches, (node, values) => fpHist.get(node)!.add(values), each);
  await forEachActivation(quantized.model, qNodes, batches, (node, values) => qHist.get(node)!.add(values), { ...each, run: qRun });

  return pairs.map((p) => {
    const f = fpStats.get(p.node)!;
    const q = qStats.get(p.quantizedNode)!;
    const fh = fpHist.get(p.node)!;
    const qh = qHist.get(p.quantizedNode)!;
    const kl = Float64Array.from({ length: f.channels }, (_, k) => histogramKl(fh.channel(k), qh.channel(k), epsilon));
    const shift = Float64Array.from({ length: f.channels }, (_, k) => (q.mean(k) - f.mean(k)) / Math.max(f.std(k), 1e-8));
    return { unit: p.unit, index: p.index, node: p.node, quantizedNode: p.quantizedNode, kl, shift };
  });
}
