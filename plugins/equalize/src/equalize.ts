import * as tf from '@tensorflow/tfjs-core';
import { GraphModel, cloneGraph, type QuantizedModel } from '@qcb/core';
import { channelGroup } from './channel-group.js';
import { channelMaxima, quantile } from './channel-maxima.js';
import type { EqualizeOptions } from './options.js';
import { scaleChannel } from './scale-channel.js';

/** One outlier channel and what became of it. */
export interface OutlierChannel {
  /** The quantized unit input it was found in, and its channel. */
  readonly tensor: string;
  readonly channel: number;
  /** Its largest magnitude on the calibration data, and the 90th percentile of its tensor's channels'. */
  readonly max: number;
  readonly typical: number;
  /** The power of two it was divided by, 1 when it was left alone. */
  readonly factor: number;
  /** Why it was left alone. */
  readonly skipped?: string;
  /** Where the 1/factor and the factor went. */
  readonly producers?: readonly string[];
  readonly consumers?: readonly string[];
}

export interface Equalized {
  /** A new model computing the same function, or the given one when no channel was scaled. */
  readonly model: GraphModel;
  readonly outliers: readonly OutlierChannel[];
}

/**
 * Outlier-channel equalization of a full-precision model before it is quantized (qcb's own
 * defense stage, not the paper's). An 8-bit activation quantizer whose range (MSE or
 * percentile) stops below a few outlier channels clips them; a backdoor can live in that
 * clipping alone, with rounding playing no part (README). Each outlier channel of a
 * quantized unit's input is divided by a power of two where it is produced and multiplied
 * back where it is read, which keeps the full-precision function bit for bit while the
 * channel, and what a trigger adds to it, falls inside the range.
 */
export function equalizeOutliers(fp: GraphModel, quantized: QuantizedModel, calibration: readonly tf.Tensor4D[], o: EqualizeOptions): Equalized {
  // The quantized unit inputs, each with the fewest steps among the grids that read it.
  const steps = new Map<string, number>();
  for (const unit of fp.units()) {
    const grid = quantized.parts.activations.get(unit.head);
    if (!grid || unit.input === fp.graph.input) continue;
    steps.set(unit.input, Math.min(steps.get(unit.input) ?? Infinity, grid.qmax - grid.qmin));
  }
  const names = [...steps.keys()];
  if (names.length === 0) return { model: fp, outliers: [] };
  const maxima = channelMaxima(fp, names, calibration);
  const outliers: OutlierChannel[] = [];
  let model: GraphModel | null = null;
  const done = new Set<string>();
  for (const tensor of names) {
    const max = maxima.get(tensor)!;
    const typical = quantile(max, 0.9);
    if (!(typical > 0)) continue;
    for (let channel = 0; channel < max.length; channel++) {
      const m = max[channel];
      if (m < o.ratio * typical || done.has(`${tensor}:${channel}`)) continue;
      const factor = 2 ** Math.ceil(Math.log2((o.headroom * m) / typical));
      const base = { tensor, channel, max: m, typical };
      // The typical channel's range split into the grid's steps: what the scaled channel keeps of it.
      const levels = ((m / factor) / typical) * steps.get(tensor)!;
      if (levels < o.minLevels) {
        outliers.push({ ...base, factor: 1, skipped: `would keep ${levels.toFixed(1)} of the ${o.minLevels} steps it needs` });
        continue;
      }
      const group = channelGroup(fp.graph, tensor);
      if ('blockedBy' in group) {
        outliers.push({ ...base, factor: 1, skipped: `${group.blockedBy} does not pass a per-channel scale` });
        continue;
      }
      model ??= new GraphModel(cloneGraph(fp.graph));
      for (const t of group.tensors) done.add(`${t}:${channel}`);
      for (const p of group.producers) {
        const params = model.node(p.name).params;
        if (p.op === 'batchNorm') {
          for (const name of ['gamma', 'beta']) if (params[name]) scaleChannel(params[name], 0, channel, 1 / factor);
        } else {
          scaleChannel(params['kernel'], params['kernel'].rank - 1, channel, 1 / factor);
          if (params['bias']) scaleChannel(params['bias'], 0, channel, 1 / factor);
        }
      }
      for (const c of group.consumers) {
        const kernel = model.node(c.name).params['kernel'];
        scaleChannel(kernel, kernel.rank - 2, channel, factor);
      }
      outliers.push({ ...base, factor, producers: group.producers.map((p) => p.name), consumers: group.consumers.map((c) => c.name) });
    }
  }
  return { model: model ?? fp, outliers };
}
