import * as tf from '@tensorflow/tfjs-core';
import { defenderBatches } from '../../data/defender-batches.js';
import type { ImageSet, Normalization } from '../../data/image-set.js';
import { QcbError } from '../../errors.js';
import type { GraphModel } from '../../ir/graph-model.js';
import { channelContributions } from './channel-contributions.js';
import { inflatableChains } from './inflatable-chains.js';
import { inflateChannels, planInflation, rangeWidening, type ChannelInflation } from './inflate-channels.js';

export interface InflationRequest {
  /** The factor s each chosen channel is inflated by. */
  readonly scale: number;
  /** Channels inflated per chain (the least contributing ones). */
  readonly channels: number;
  /** Clean images the contributions are measured on (a stratified sample of `samples` of them). */
  readonly images: ImageSet;
  readonly normalization: Normalization;
  readonly seed: number;
  readonly batchSize: number;
  readonly samples?: number;
}

export interface InflationReport {
  readonly plan: ChannelInflation[];
  /** One line per chain: the channels and how much the next layer's ranges widened. */
  readonly lines: string[];
}

function quantile(values: Float32Array, q: number): number {
  const sorted = Float32Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * Inflates the least contributing channels of every inflatable chain of the model in
 * place (see inflate-channels.ts), measured on a clean sample of `images`.
 */
export function inflateLeastContributing(model: GraphModel, r: InflationRequest): InflationReport {
  const chains = inflatableChains(model);
  if (chains.length === 0) throw new QcbError('E_USAGE', 'the model has no BN -> ReLU -> conv/dense chain free of residual adds to inflate');
  const samples = Math.min(r.samples ?? 1024, r.images.count);
  const batches = defenderBatches(r.images, r.normalization, { share: samples / r.images.count, samples, batchSize: r.batchSize, seed: r.seed });
  let contributions: Float32Array[];
  try {
    contributions = channelContributions(model, chains, batches);
  } finally {
    tf.dispose(batches);
  }
  const plan = planInflation(chains, contributions, r.scale, r.channels);
  const before = chains.map((c) => tf.clone(model.node(c.next).params['kernel']));
  try {
    inflateChannels(model, plan);
    const lines = chains.map((chain, i) => {
      const widening = rangeWidening(before[i], model.node(chain.next).params['kernel']);
      const picked = plan.filter((p) => p.chain === chain).map((p) => p.channel);
      const share = picked.reduce((sum, c) => sum + contributions[i][c], 0) / contributions[i].reduce((a, b) => a + b, 0);
      return `${chain.batchNorm} channel${picked.length > 1 ? 's' : ''} ${picked.join(', ')} x${r.scale} (${(100 * share).toFixed(2)}% of the contribution): ` +
        `${chain.next} ranges ${quantile(widening, 0.5).toFixed(2)}x wider (median; ${Math.min(...widening).toFixed(2)} to ${Math.max(...widening).toFixed(2)})`;
    });
    return { plan, lines };
  } finally {
    tf.dispose(before);
  }
}
