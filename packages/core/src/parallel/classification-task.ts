import * as tf from '@tensorflow/tfjs-core';
import { GraphModel } from '../ir/graph-model.js';
import { crossEntropy } from '../train/train-step.js';
import { fromPortableGraph, type PortableGraph } from './portable-graph.js';
import { shardsOf } from './shards.js';
import type { ParallelTask } from './task.js';

/** What each worker receives once (parallel-classifier.ts sends it). */
export interface ClassifierTaskInit {
  readonly graph: PortableGraph;
  /** `node/param` of the trained variables, in the optimizer's order. */
  readonly trained: readonly string[];
  /** `node/param` of the BN moving statistics (updated by the forward pass in training mode). */
  readonly running: readonly string[];
  /** Every parameter's values, trained then running, written by the main thread before each step. */
  readonly weights: SharedArrayBuffer;
  /** The batch: images (float32) then labels (as float32), written before each step. */
  readonly batch: SharedArrayBuffer;
  /** One image's shape. */
  readonly imageShape: readonly number[];
}

/**
 * The worker side of a data-parallel classification step: softmax cross-entropy with BN in
 * training mode on this worker's shard of the batch. BN normalises with the shard's own
 * statistics (ghost batch norm); the slot receives the gradient and the updated moving
 * statistics, both weighted by the shard's share of the batch, so that their sum is the
 * batch gradient and the mean of the shards' moving statistics.
 */
export function createClassifierTask(raw: unknown, shard: { readonly index: number; readonly count: number }): ParallelTask {
  const init = raw as ClassifierTaskInit;
  const model = new GraphModel(fromPortableGraph(init.graph));
  const variable = (key: string): tf.Variable => {
    const cut = key.lastIndexOf('/');
    return model.node(key.slice(0, cut)).params[key.slice(cut + 1)];
  };
  const trained = init.trained.map(variable);
  const running = init.running.map(variable);
  const all = [...trained, ...running];
  const weights = new Float32Array(init.weights);
  const imageSize = init.imageShape.reduce((a, b) => a * b, 1);

  const loadWeights = (): void => {
    let offset = 0;
    for (const v of all) {
      v.assign(tf.tensor(weights.subarray(offset, offset + v.size), v.shape));
      offset += v.size;
    }
  };

  return {
    call(kind, payload, gradient) {
      if (kind !== 'grad') throw new Error(`unknown classifier task call "${kind}"`);
      const count = payload as number;
      const { start, size } = shardsOf(count, shard.count)[shard.index];
      if (size === 0) {
        gradient.fill(0);
        return 0;
      }
      const share = size / count;
      return tf.tidy(() => {
        loadWeights();
        const images = new Float32Array(init.batch, 4 * start * imageSize, size * imageSize);
        const labels = new Float32Array(init.batch, 4 * (count * imageSize + start), size);
        const x = tf.tensor(images, [size, ...init.imageShape]);
        const y = tf.tensor1d(labels, 'int32');
        const { value, grads } = tf.variableGrads(() => crossEntropy(model.predict(x, { training: true }), y), trained);
        let offset = 0;
        for (const v of trained) {
          gradient.set(tf.mul(grads[v.name], share).dataSync(), offset);
          offset += v.size;
        }
        for (const v of running) {
          gradient.set(tf.mul(v, share).dataSync(), offset);
          offset += v.size;
        }
        return value.dataSync()[0] * share;
      });
    },
    dispose() {
      model.dispose();
    },
  };
}
