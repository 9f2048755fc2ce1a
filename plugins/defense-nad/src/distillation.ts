import * as tf from '@tensorflow/tfjs-core';
import { compiledModuleUrl, toPortableGraph, type ExtraLoss, type GraphModel, type PortableGraph, type TaskModule } from '@qcb/core';
import { attentionLoss, attentionMap } from './attention.js';

/** Where a pool worker builds its copy of the distillation (distillation-task.ts). */
const WORKER_LOSS: TaskModule = { url: compiledModuleUrl('./distillation-task.js', import.meta.url).href, exportName: 'createAttentionDistillation' };

/** What a pool worker builds the distillation from: the teacher's weights and the settings. */
export interface AttentionDistillationInit {
  readonly teacher: PortableGraph;
  readonly layers: readonly string[];
  readonly betas: readonly number[];
  readonly power: number;
}

/**
 * NAD's distillation terms: for each layer, beta x the attention loss between the
 * student's features (captured in its training forward pass) and the teacher's. The
 * teacher runs once per batch outside the gradient with BN on its moving statistics (the
 * original code's `teacher.eval()`); its maps are released after the step. On several
 * threads each worker distils its shard of the batch from its own copy of the teacher,
 * which must not change while the student trains.
 */
export function attentionDistillation(teacher: GraphModel, layers: readonly string[], betas: readonly number[], power: number): ExtraLoss {
  const names = layers.map((_, i) => `nad:at${i + 1}`);
  return {
    nodes: layers,
    forBatch(batch) {
      const maps = tf.tidy(() => teacher.outputsOf(batch.x, layers).map((f) => attentionMap(f, power)));
      return {
        terms: (features) => layers.map((layer, i) => ({
          name: names[i],
          value: attentionLoss(attentionMap(features.get(layer)!, power), maps[i]),
          weight: betas[i],
        })),
        dispose: () => tf.dispose(maps),
      };
    },
    portable: () => {
      const init: AttentionDistillationInit = { teacher: toPortableGraph(teacher.graph), layers, betas, power };
      return { module: WORKER_LOSS, init, terms: names };
    },
  };
}
