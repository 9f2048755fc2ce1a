import * as tf from '@tensorflow/tfjs-core';
import { batchStatsRecorder } from './batch-stats.js';
import type { GraphModel } from './graph-model.js';

/** How far one BN's re-estimated statistics moved from the running ones it replaced. */
export interface BatchNormShift {
  readonly node: string;
  /** Mean over channels of |new mean - old mean| / old running std. */
  readonly meanShift: number;
  /** Mean over channels of |new variance / old variance - 1|. */
  readonly varianceChange: number;
}

/**
 * Replaces every BN's running mean and variance with the mean over `batches` of its input's
 * batch moments in training mode (what the running averages track while a model trains), and
 * reports how far each moved. A model whose outputs change much under statistics re-estimated
 * on clean data was fitted to the statistics it ships with (a backdoor trained on batches
 * half triggered, or under frozen statistics, can hide there). The caller keeps the batches.
 */
export function reestimateBatchNorm(model: GraphModel, batches: readonly tf.Tensor[]): BatchNormShift[] {
  const sums = new Map<string, { mean: tf.Tensor; variance: tf.Tensor }>();
  for (const x of batches) {
    const recorder = batchStatsRecorder();
    tf.tidy(() => {
      model.predict(x, { training: true, updateStats: false, tap: recorder.tap });
      for (const [name, { mean, variance }] of recorder.stats) {
        const sum = sums.get(name);
        sums.set(name, { mean: tf.keep(sum ? tf.add(sum.mean, mean) : mean), variance: tf.keep(sum ? tf.add(sum.variance, variance) : variance) });
        if (sum) tf.dispose([sum.mean, sum.variance]);
      }
    });
  }
  const shifts: BatchNormShift[] = [];
  for (const node of model.graph.nodes) {
    const sum = sums.get(node.name);
    if (!sum) continue;
    const movingMean = node.params['movingMean'];
    const movingVariance = node.params['movingVariance'];
    const [meanShift, varianceChange] = tf.tidy(() => {
      const mean = tf.div(sum.mean, batches.length);
      const variance = tf.div(sum.variance, batches.length);
      const moved = [
        tf.mean(tf.div(tf.abs(tf.sub(mean, movingMean)), tf.sqrt(tf.add(movingVariance, 1e-12)))).dataSync()[0],
        tf.mean(tf.abs(tf.sub(tf.div(variance, tf.add(movingVariance, 1e-12)), 1))).dataSync()[0],
      ];
      movingMean.assign(mean);
      movingVariance.assign(variance);
      return moved;
    });
    tf.dispose([sum.mean, sum.variance]);
    shifts.push({ node: node.name, meanShift, varianceChange });
  }
  return shifts;
}
