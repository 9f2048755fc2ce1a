import type { QuantizedModel } from '../quant/quantized-model.js';
import type { UnitDrift } from '../scan/drift.js';
import { backdoorImportance, type LabelledBatch, type PruneTarget } from '../scan/importance.js';

/** One neuron: a channel of a unit's pre-activation, with its drift and importance. */
export interface NeuronRef {
  readonly unit: string;
  readonly index: number;
  /** The full-precision node measured (the unit's pre-activation). */
  readonly node: string;
  /** The quantized model's node measured. */
  readonly quantizedNode: string;
  readonly channel: number;
  /** Definition 3.1's tau on the quantized model. */
  readonly importance: number;
  /** KL(fp || quantized) of its pre-activation histograms. */
  readonly kl: number;
}

/**
 * Definition 3.1's importance of every neuron of the given units (all by default), on the
 * quantized model: the scan module's pruning measure with every channel as a target.
 * Returns one array per unit of `drift`, empty for a unit left out.
 */
export async function everyNeuronImportance(
  quantized: QuantizedModel,
  drift: readonly UnitDrift[],
  triggered: readonly LabelledBatch[],
  o: { include?: (u: UnitDrift) => boolean; onStep?: () => void } = {},
): Promise<Float64Array[]> {
  const chosen = drift.map((u) => o.include?.(u) ?? true);
  const targets: PruneTarget[] = drift.flatMap((u, i) => (chosen[i] ? [{ node: u.quantizedNode, channels: Array.from(u.kl.keys()) }] : []));
  const measured = await backdoorImportance(quantized, targets, triggered, { onStep: o.onStep });
  let next = 0;
  return drift.map((_, i) => (chosen[i] ? measured[next++] : new Float64Array(0)));
}

/**
 * The paper's typical backdoor and benign neurons (section 3, Figure 1): the neurons with the
 * highest and the lowest importance among those measured.
 */
export function backdoorAndBenignNeurons(drift: readonly UnitDrift[], importance: readonly Float64Array[]): { backdoor: NeuronRef; benign: NeuronRef } {
  let backdoor: NeuronRef | null = null;
  let benign: NeuronRef | null = null;
  drift.forEach((u, i) => {
    importance[i].forEach((tau, channel) => {
      const ref: NeuronRef = { unit: u.unit, index: u.index, node: u.node, quantizedNode: u.quantizedNode, channel, importance: tau, kl: u.kl[channel] };
      if (backdoor === null || tau > backdoor.importance) backdoor = ref;
      if (benign === null || tau < benign.importance) benign = ref;
    });
  });
  if (backdoor === null || benign === null) throw new Error('backdoorAndBenignNeurons: no neuron has an importance');
  return { backdoor, benign };
}
