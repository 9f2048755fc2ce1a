import type * as tf from '@tensorflow/tfjs-core';
import type { NodeTransform } from '../ir/executor.js';
import type { GraphModel } from '../ir/graph-model.js';
import type { QuantizedModel } from '../quant/quantized-model.js';
import { forEachActivation } from '../scan/activation-pass.js';
import { ChannelHistograms } from '../scan/channel-histograms.js';
import { DEFAULT_BINS } from '../scan/drift.js';

/** A neuron to histogram: a channel of a node, named in each model. */
export interface HistogramNeuron {
  readonly node: string;
  readonly quantizedNode: string;
  readonly channel: number;
}

/** A named set of images (clean, triggered). */
export interface ImageSet4D {
  readonly name: string;
  readonly batches: readonly tf.Tensor4D[];
}

export type ModelKind = 'full precision' | 'quantized';

/** One curve: a neuron's pre-activation on one image set in one model. */
export interface NeuronHistogram {
  /** Index into the neurons asked for. */
  readonly neuron: number;
  readonly images: string;
  readonly model: ModelKind;
  /** The range every curve of this neuron shares, split into `fractions.length` equal bins. */
  readonly lo: number;
  readonly hi: number;
  /** Share of the values in each bin (sums to 1). */
  readonly fractions: Float64Array;
}

/** The values of one channel of channels-last data. */
function channelValues(values: Float32Array, channels: number, k: number): Float32Array {
  const out = new Float32Array(values.length / channels);
  for (let i = 0, j = k; i < out.length; i++, j += channels) out[i] = values[j];
  return out;
}

/**
 * Figure 1's data: each neuron's pre-activation values in full precision and quantized, on
 * each image set, histogrammed over the union of all its ranges (as `measureDrift` does
 * for fp against quantized) so that the curves of one neuron share their bins.
 */
export async function neuronHistograms(
  fp: GraphModel, quantized: QuantizedModel, neurons: readonly HistogramNeuron[], sets: readonly ImageSet4D[], bins = DEFAULT_BINS,
): Promise<NeuronHistogram[]> {
  const runs: { model: ModelKind; graph: GraphModel; nodeOf: (n: HistogramNeuron) => string; run?: { transform: NodeTransform } }[] = [
    { model: 'full precision', graph: fp, nodeOf: (n) => n.node },
    { model: 'quantized', graph: quantized.model, nodeOf: (n) => n.quantizedNode, run: { transform: quantized.transform() } },
  ];
  // values[set][run][neuron]: small (one channel of a few hundred images).
  const values: Float32Array[][][] = [];
  for (const set of sets) {
    const perRun: Float32Array[][] = [];
    for (const r of runs) {
      const nodes = [...new Set(neurons.map(r.nodeOf))];
      const parts: Float32Array[][] = neurons.map(() => []);
      await forEachActivation(r.graph, nodes, set.batches, (node, v, channels) => {
        neurons.forEach((n, i) => {
          if (r.nodeOf(n) === node) parts[i].push(channelValues(v, channels, n.channel));
        });
      }, { run: r.run });
      perRun.push(parts.map((p) => Float32Array.from(p.flatMap((a) => Array.from(a)))));
    }
    values.push(perRun);
  }
  const out: NeuronHistogram[] = [];
  neurons.forEach((_, i) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const perRun of values) for (const v of perRun.map((r) => r[i])) for (const x of v) { if (x < lo) lo = x; if (x > hi) hi = x; }
    sets.forEach((set, s) => runs.forEach((r, m) => {
      const h = new ChannelHistograms([lo], [hi], bins);
      const v = values[s][m][i];
      h.add(v);
      const fractions = Float64Array.from(h.channel(0), (c) => (v.length > 0 ? c / v.length : 0));
      out.push({ neuron: i, images: set.name, model: r.model, lo, hi, fractions });
    }));
  });
  return out;
}
