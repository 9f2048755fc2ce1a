import * as tf from '@tensorflow/tfjs-core';
import type { ExtraLoss, GraphModel } from '@qcb/core';
import { attentionLoss, attentionMap } from './attention.js';

/**
 * NAD's distillation terms: for each layer, beta x the attention loss between the
 * student's features (captured in its training forward pass) and the teacher's. The
 * teacher runs once per batch outside the gradient with BN on its moving statistics (the
 * original code's `teacher.eval()`); its maps are released after the step.
 */
export function attentionDistillation(teacher: GraphModel, layers: readonly string[], betas: readonly number[], power: number): ExtraLoss {
  return {
    nodes: layers,
    forBatch(batch) {
      const maps = tf.tidy(() => teacher.outputsOf(batch.x, layers).map((f) => attentionMap(f, power)));
      return {
        terms: (features) => layers.map((layer, i) => ({
          name: `nad:at${i + 1}`,
          value: attentionLoss(attentionMap(features.get(layer)!, power), maps[i]),
          weight: betas[i],
        })),
        dispose: () => tf.dispose(maps),
      };
    },
  };
}
