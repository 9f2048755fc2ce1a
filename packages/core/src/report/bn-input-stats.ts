import * as tf from '@tensorflow/tfjs-core';
import type { NodeTransform } from '../ir/executor.js';
import type { GraphModel } from '../ir/graph-model.js';
import type { CalibrationUnit } from '../ir/units.js';
import { ChannelStats } from '../scan/channel-stats.js';

/** Per channel of a BN: a mean and a standard deviation. */
export interface ChannelMoments {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/** The BN nodes of a unit, in order. */
export function unitBatchNorms(model: GraphModel, unit: CalibrationUnit): string[] {
  return unit.nodes.filter((n) => model.node(n).op === 'batchNorm');
}

/** A BN's running statistics: its moving mean and sqrt(moving variance). */
export function bnRunningMoments(model: GraphModel, bn: string): ChannelMoments {
  const params = model.node(bn).params;
  const mean = Float64Array.from(params['movingMean'].dataSync());
  const std = Float64Array.from(params['movingVariance'].dataSync(), (v) => Math.sqrt(Math.max(0, v)));
  return { mean, std };
}

/**
 * The batch statistics of a BN's input over all the given unit inputs (every image and
 * position): the unit is run on each input, as LAC runs it, and the BN's input tapped.
 */
export function bnInputMoments(model: GraphModel, unit: CalibrationUnit, bn: string, inputs: readonly tf.Tensor[], transform?: NodeTransform): ChannelMoments {
  let stats: ChannelStats | null = null;
  for (const x of inputs) {
    tf.tidy(() => {
      model.runUnit(unit, x, {
        transform,
        tap: (node, ins) => {
          if (node.name !== bn) return;
          const channels = ins[0].shape[ins[0].shape.length - 1];
          stats ??= new ChannelStats(channels);
          stats.add(ins[0].dataSync());
        },
      });
    });
  }
  const s = stats as ChannelStats | null;
  if (s === null) throw new Error(`bnInputMoments: BN "${bn}" is not in unit "${unit.head}" or got no input`);
  return {
    mean: Float64Array.from({ length: s.channels }, (_, k) => s.mean(k)),
    std: Float64Array.from({ length: s.channels }, (_, k) => s.std(k)),
  };
}
