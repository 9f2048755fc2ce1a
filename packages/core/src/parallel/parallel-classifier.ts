import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '../ir/graph-model.js';
import type { Optimizer } from '../train/optimizers/optimizer.js';
import type { ClassifierTaskInit } from './classification-task.js';
import { compiledModuleUrl } from './compiled-url.js';
import { toPortableGraph } from './portable-graph.js';
import type { StepPool } from './step-pool.js';

const TASK = { url: compiledModuleUrl('./classification-task.js', import.meta.url).href, exportName: 'createClassifierTask' };

/**
 * `classificationStep` spread over a StepPool: every worker holds a replica of the model,
 * receives the weights and its shard of the batch through shared memory, and returns its
 * weighted gradient and moving statistics; this thread sums them in worker order, applies
 * the optimizer and keeps the model. BN runs in training mode on each shard's statistics
 * (ghost batch norm, as data-parallel PyTorch does without SyncBatchNorm): synchronising them
 * would cost a round trip per BN layer forward and backward.
 */
export class ParallelClassifier {
  private constructor(
    private readonly pool: StepPool,
    private readonly optimizer: Optimizer,
    private readonly running: readonly tf.Variable[],
    private readonly weights: Float32Array,
    private readonly batch: Float32Array,
    private readonly imageSize: number,
    private readonly maxBatch: number,
  ) {}

  /** Sets the pool up for `model` trained by `optimizer` on batches of at most `maxBatch` images. */
  static async start(pool: StepPool, model: GraphModel, optimizer: Optimizer, maxBatch: number): Promise<ParallelClassifier> {
    const keyOf = new Map<tf.Variable, string>();
    const running: tf.Variable[] = [];
    for (const node of model.graph.nodes) {
      for (const [param, v] of Object.entries(node.params)) {
        keyOf.set(v, `${node.name}/${param}`);
        if (node.frozen.includes(param)) running.push(v);
      }
    }
    const all = [...optimizer.variables, ...running];
    const floats = all.reduce((n, v) => n + v.size, 0);
    const imageShape = model.inputShape;
    const imageSize = imageShape.reduce((a, b) => a * b, 1);
    const init: ClassifierTaskInit = {
      graph: toPortableGraph(model.graph),
      trained: optimizer.variables.map((v) => keyOf.get(v)!),
      running: running.map((v) => keyOf.get(v)!),
      weights: new SharedArrayBuffer(4 * floats),
      batch: new SharedArrayBuffer(4 * maxBatch * (imageSize + 1)),
      imageShape,
    };
    await pool.setup(TASK, () => init, floats);
    return new ParallelClassifier(pool, optimizer, running, new Float32Array(init.weights), new Float32Array(init.batch), imageSize, maxBatch);
  }

  /** One step on images `x` and integer labels; returns the batch loss. */
  async step(x: tf.Tensor, labels: tf.Tensor1D, lr: number): Promise<number> {
    const count = x.shape[0];
    if (count > this.maxBatch) throw new Error(`batch of ${count} over the ${this.maxBatch} the pool was set up for`);
    let offset = 0;
    for (const v of [...this.optimizer.variables, ...this.running]) {
      this.weights.set(v.dataSync(), offset);
      offset += v.size;
    }
    this.batch.set(x.dataSync(), 0);
    this.batch.set(labels.dataSync(), count * this.imageSize);
    const losses = (await this.pool.call('grad', () => count)) as number[];
    const summed = this.pool.summedGradient();
    tf.tidy(() => {
      let at = 0;
      const grads = this.optimizer.variables.map((v) => {
        const g = tf.tensor(summed.subarray(at, at + v.size), v.shape);
        at += v.size;
        return g;
      });
      this.optimizer.step(grads, lr);
      for (const v of this.running) {
        v.assign(tf.tensor(summed.subarray(at, at + v.size), v.shape));
        at += v.size;
      }
    });
    return losses.reduce((a, b) => a + b, 0);
  }
}
