import * as tf from '@tensorflow/tfjs-core';
import type { NodeTap } from './executor.js';
import type { BatchStats } from './op-def.js';

/**
 * A tap that records the batch statistics of every BN's input during a run, computed with
 * differentiable ops so that another branch can normalise with them (`RunOptions.batchStats`).
 */
export function batchStatsRecorder(): { tap: NodeTap; stats: Map<string, BatchStats> } {
  const stats = new Map<string, BatchStats>();
  return {
    stats,
    tap: (node, inputs) => {
      if (node.op !== 'batchNorm') return;
      const x = inputs[0];
      const { mean, variance } = tf.moments(x, Array.from({ length: x.rank - 1 }, (_, i) => i));
      stats.set(node.name, { mean, variance });
    },
  };
}
