import * as tf from '@tensorflow/tfjs-core';
import type { RunOptions } from '../ir/executor.js';
import type { GraphModel } from '../ir/graph-model.js';
import { ChannelStats } from './channel-stats.js';

/** One forward run per batch; `visit` sees each named node's output as channels-last values. */
export async function forEachActivation(
  model: GraphModel,
  nodes: readonly string[],
  batches: readonly tf.Tensor4D[],
  visit: (node: string, values: Float32Array, channels: number) => void,
  o: { run?: Omit<RunOptions, 'outputs'>; onBatch?: () => void } = {},
): Promise<void> {
  for (const batch of batches) {
    tf.tidy(() => {
      const outs = model.outputsOf(batch, nodes, o.run);
      outs.forEach((out, i) => visit(nodes[i], out.dataSync() as Float32Array, out.shape[out.shape.length - 1]));
    });
    o.onBatch?.();
    // Lets a progress bar draw between batches.
    await new Promise((r) => setImmediate(r));
  }
}

/** Per-channel statistics of the named nodes' outputs over the batches. */
export async function activationStats(
  model: GraphModel,
  nodes: readonly string[],
  batches: readonly tf.Tensor4D[],
  o: { run?: Omit<RunOptions, 'outputs'>; onBatch?: () => void } = {},
): Promise<Map<string, ChannelStats>> {
  const stats = new Map<string, ChannelStats>();
  await forEachActivation(model, nodes, batches, (node, values, channels) => {
    let s = stats.get(node);
    if (!s) stats.set(node, (s = new ChannelStats(channels)));
    s.add(values);
  }, o);
  return stats;
}
