import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '../ir/graph-model.js';
import type { Optimizer } from '../train/optimizers/optimizer.js';
import { classifierSlotLength, slotsNamedAs, type ClassifierLoss, type ClassifierStepCall, type ClassifierTaskInit } from './classification-task.js';
import { compiledModuleUrl } from './compiled-url.js';
import { toPortableGraph } from './portable-graph.js';
import { StepPool } from './step-pool.js';
import { runThreads } from './threads.js';
import { floatValues } from './tensor-view.js';
import { barrierBuffer } from './worker-barrier.js';

const TASK = { url: compiledModuleUrl('./classification-task.js', import.meta.url).href, exportName: 'createClassifierTask' };

export interface ParallelClassifierOptions {
  /** The largest batch expected (the shared batch grows if a larger one comes). */
  readonly maxBatch: number;
  /** Default: plain cross-entropy, BN in training mode, no SAM. */
  readonly loss?: Partial<ClassifierLoss>;
}

/**
 * A classification step spread over a StepPool, data-parallel as PyTorch's DDP: every worker
 * keeps a replica of the model and of the optimizer, computes the gradient of its shard of
 * each batch, and applies the update of the summed gradient itself (classification-task.ts),
 * so a step sends only the batch: no weights, no optimizer work on this thread. BN in
 * training mode normalises with each shard's statistics (ghost batch norm, as data-parallel
 * PyTorch does without SyncBatchNorm): synchronising them would cost a barrier per BN layer
 * forward and backward.
 *
 * The model and optimizer given stay this thread's copies: `syncModel()` brings the
 * replicas' weights into the model (cheap: they are in shared memory after every step),
 * `syncOptimizer()` their optimizer's slots (for a checkpoint), and `pushModel()` sends a
 * change made here (e.g. a pruning mask) to the replicas.
 */
export class ParallelClassifier {
  private synced = true;
  /** Set when the batch buffer was replaced by a larger one: sent with the next step. */
  private grown: SharedArrayBuffer | null = null;
  /** The pool this classifier started and closes (null: the caller's). */
  private owned: StepPool | null = null;

  private constructor(
    private readonly pool: StepPool,
    private readonly optimizer: Optimizer,
    private readonly params: readonly tf.Variable[],
    private readonly weights: Float32Array,
    private batch: Float32Array,
    private readonly imageSize: number,
  ) {}

  /**
   * On a pool of `threads` workers (default runThreads(), --threads) that this classifier
   * owns until `close()`; null when that is one thread or the backend runs no pool
   * (StepPool.start), where the caller steps on its own thread.
   */
  static async open(model: GraphModel, optimizer: Optimizer, o: ParallelClassifierOptions & { readonly threads?: number }): Promise<ParallelClassifier | null> {
    const threads = o.threads ?? runThreads();
    const pool = threads > 1 ? await StepPool.start(threads) : null;
    if (!pool) return null;
    try {
      const classifier = await ParallelClassifier.start(pool, model, optimizer, o);
      classifier.owned = pool;
      return classifier;
    } catch (e) {
      await pool.close();
      throw e;
    }
  }

  /** Closes the pool `open` started (the workers are kept for the next one); nothing for a caller's pool. */
  async close(): Promise<void> {
    await this.owned?.close();
    this.owned = null;
  }

  /** Sets the pool up for `model` trained by `optimizer` (from its current weights and slots). */
  static async start(pool: StepPool, model: GraphModel, optimizer: Optimizer, o: ParallelClassifierOptions): Promise<ParallelClassifier> {
    const loss: ClassifierLoss = { labelSmoothing: o.loss?.labelSmoothing ?? 0, bn: o.loss?.bn ?? 'train', sam: o.loss?.sam ?? null };
    const keyOf = new Map<tf.Variable, string>();
    const running: string[] = [];
    const params: tf.Variable[] = [];
    for (const node of model.graph.nodes) {
      for (const [param, v] of Object.entries(node.params)) {
        keyOf.set(v, `${node.name}/${param}`);
        params.push(v);
        if (loss.bn === 'train' && node.op === 'batchNorm' && node.frozen.includes(param)) running.push(`${node.name}/${param}`);
      }
    }
    const trained = optimizer.variables.map((v) => {
      const key = keyOf.get(v);
      if (!key) throw new Error('the optimizer trains a variable that is not a parameter of the model');
      return key;
    });
    const gradientLength = optimizer.variables.reduce((n, v) => n + v.size, 0);
    const runningLength = running.reduce((n, key) => n + model.node(key.slice(0, key.lastIndexOf('/'))).params[key.slice(key.lastIndexOf('/') + 1)].size, 0);
    const imageShape = model.inputShape;
    const imageSize = imageShape.reduce((a, b) => a * b, 1);
    const passes = loss.sam ? 2 : 1;
    const init: ClassifierTaskInit = {
      graph: toPortableGraph(model.graph),
      trained,
      running,
      optimizer: optimizer.spec,
      slots: await optimizer.state(),
      loss,
      batch: new SharedArrayBuffer(4 * o.maxBatch * (imageSize + 1)),
      imageShape,
      gradients: new SharedArrayBuffer(4 * classifierSlotLength(gradientLength, runningLength) * passes * pool.size),
      weights: new SharedArrayBuffer(4 * params.reduce((n, v) => n + v.size, 0)),
      barrier: barrierBuffer(),
    };
    await pool.setup(TASK, () => init, 0);
    return new ParallelClassifier(pool, optimizer, params, new Float32Array(init.weights), new Float32Array(init.batch), imageSize);
  }

  /** One step on images `x` and integer labels; returns the batch loss (at the weights before the step). */
  async step(x: tf.Tensor, labels: tf.Tensor1D, lr: number): Promise<number> {
    const count = x.shape[0];
    if (count * (this.imageSize + 1) > this.batch.length) {
      this.grown = new SharedArrayBuffer(4 * count * (this.imageSize + 1));
      this.batch = new Float32Array(this.grown);
    }
    this.batch.set(floatValues(x), 0);
    const y = labels.dataSync();
    const at = count * this.imageSize;
    for (let i = 0; i < count; i++) this.batch[at + i] = y[i];
    this.synced = false;
    const batch = this.grown;
    this.grown = null;
    const losses = (await this.pool.call('step', (): ClassifierStepCall => ({ count, lr, ...(batch ? { batch } : {}) }))) as number[];
    return losses[0];
  }

  /** Brings the replicas' weights (after the last step) into the model; nothing to do when it has them. */
  syncModel(): void {
    if (this.synced) return;
    let offset = 0;
    for (const v of this.params) {
      const values = tf.tensor(this.weights.subarray(offset, offset + v.size), v.shape);
      v.assign(values);
      values.dispose();
      offset += v.size;
    }
    this.synced = true;
  }

  /** Sends the model's weights to the replicas (after a change made on this thread). */
  async pushModel(): Promise<void> {
    let offset = 0;
    for (const v of this.params) {
      this.weights.set(floatValues(v), offset);
      offset += v.size;
    }
    await this.pool.call('load', () => null);
    this.synced = true;
  }

  /** The tensors each worker holds (a test's leak check). */
  workerTensors(): Promise<number[]> {
    return this.pool.tensorCounts();
  }

  /** Brings the replicas' optimizer slots into the optimizer (before its state is saved). */
  async syncOptimizer(): Promise<void> {
    const slots = (await this.pool.callWorker(0, 'slots', null)) as Parameters<typeof slotsNamedAs>[0];
    this.optimizer.loadState(slotsNamedAs(slots, await this.optimizer.state()));
  }
}
