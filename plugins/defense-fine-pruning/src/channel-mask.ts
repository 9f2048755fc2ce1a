import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@qcb/core';
import type { PruneTarget } from './prune-target.js';

/** The head's kernel rows fed by each channel: c + p x channels for every position p (NHWC flatten order). */
export function channelRows(target: PruneTarget, channels: readonly number[]): number[] {
  const rows: number[] = [];
  for (let p = 0; p < target.positions; p++) for (const c of channels) rows.push(p * target.channels + c);
  return rows.sort((a, b) => a - b);
}

/**
 * Prunes `channels` of the target's feature map for good: their rows of the dense head's
 * kernel become exactly +0 (BackdoorBench's mask on the last linear layer's input). The
 * weights are all a pruned channel reaches, so its contribution is 0 whatever its value;
 * zeros survive export and land on every quantization grid's zero point.
 */
export function pruneChannels(model: GraphModel, target: PruneTarget, channels: readonly number[]): void {
  if (channels.length === 0) return;
  const kernel = model.node(target.head).params['kernel'];
  const [rows, units] = kernel.shape;
  const keep = new Uint8Array(rows * units).fill(1);
  for (const r of channelRows(target, channels)) keep.fill(0, r * units, (r + 1) * units);
  const masked = tf.tidy(() => tf.where(tf.tensor2d(keep, [rows, units], 'bool'), kernel, tf.zerosLike(kernel)));
  kernel.assign(masked);
  masked.dispose();
}
