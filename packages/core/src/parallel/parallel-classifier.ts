import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '../ir/graph-model.js';
import type { Optimizer } from '../train/optimizers/optimizer.js';
import type { ClassifierStepCall, ClassifierTaskInit } from './classification-task.js';
import type { ExtraLoss } from '../defense/training/spec.js';
import {
  ClassifierShardStep, classifierSlotLength, classifierTermNames, type ClassifierBuffers, type ClassifierLoss, type ClassifierStepResult,
} from './classifier-shard-step.js';
import { compiledModuleUrl } from './compiled-url.js';
import { toPortableGraph } from './portable-graph.js';
import { StepBarrier, barrierBuffer } from './step-barrier.js';
import { StepPool } from './step-pool.js';
import { floatValues } from '../util/float-values.js';
import { runThreads } from './threads.js';

const TASK = { url: compiledModuleUrl('./classification-task.js', import.meta.url).href, exportName: 'createClassifierTask' };

export interface ParallelClassifierOptions {
  /** The largest batch expected (the shared batch grows if a larger one comes). */
  readonly maxBatch: number;
  /** Default: plain cross-entropy, BN in training mode, no SAM. */
  readonly loss?: Partial<Omit<ClassifierLoss, 'extra'>>;
  /** Terms added to the cross-entropy; every worker builds its own from `extraLoss.portable()`. */
  readonly extraLoss?: ExtraLoss;
}

/**
 * A classification step data-parallel over the calling thread and a StepPool's workers, as
 * PyTorch's DDP: each participant computes the gradient of its shard of the batch, they sum
 * the shards' gradients from shared memory in participant order, and each applies the same
 * update to its own replica of the model and optimizer (ClassifierShardStep). The calling
 * thread is participant 0 and its replica is the model and optimizer given, so they hold the
 * weights and slots of the last step at every moment; a step sends the workers nothing but
 * the batch. BN in training mode normalises with each shard's statistics (ghost batch norm,
 * as data-parallel PyTorch does without SyncBatchNorm): synchronising them would cost a
 * barrier per BN layer forward and backward. A change made to the model on this thread
 * (e.g. a pruning mask) reaches the workers with `pushModel()`. Opened with
 * `openGradients`, nobody updates: the summed gradient comes back to this thread, for a
 * trainer whose update is not a plain step of the model's own parameters (MCR's curve).
 */
export class ParallelClassifier {
  /** Set when the batch buffer was replaced by a larger one: sent with the next step. */
  private grown: SharedArrayBuffer | null = null;
  /** The pool this classifier started and closes (null: the caller's). */
  private owned: StepPool | null = null;

  private constructor(
    private readonly pool: StepPool,
    private readonly shard: ClassifierShardStep,
    private readonly barrier: StepBarrier,
    private batch: Float32Array,
    private readonly imageSize: number,
  ) {}

  /** Threads taking part: the calling one and the pool's workers. */
  get threads(): number {
    return this.pool.size + 1;
  }

  /**
   * On `threads` threads (default runThreads(), --threads): this one and a pool of the rest
   * that this classifier owns until `close()`; null when that is one thread or the backend
   * runs no pool (StepPool.start), where the caller steps on its own.
   */
  static async open(model: GraphModel, optimizer: Optimizer, o: ParallelClassifierOptions & { readonly threads?: number }): Promise<ParallelClassifier | null> {
    return ParallelClassifier.owning(o.threads, (pool) => ParallelClassifier.start(pool, model, optimizer, o));
  }

  /**
   * As `open`, for `gradient()` alone: the summed gradient of `trained` (parameters of
   * `model`) comes back to this thread, which updates whatever it trains (e.g. a curve's
   * middle bend) and sends the model's new weights with `pushModel()` before the next call.
   */
  static async openGradients(model: GraphModel, trained: readonly tf.Variable[], o: ParallelClassifierOptions & { readonly threads?: number }): Promise<ParallelClassifier | null> {
    return ParallelClassifier.owning(o.threads, (pool) => ParallelClassifier.setUp(pool, model, trained, null, o));
  }

  /** Sets up `pool`'s workers and this thread to train `model` with `optimizer` (from their current weights and slots). */
  static start(pool: StepPool, model: GraphModel, optimizer: Optimizer, o: ParallelClassifierOptions): Promise<ParallelClassifier> {
    return ParallelClassifier.setUp(pool, model, optimizer.variables, optimizer, o);
  }

  /** A classifier on a pool of `threads - 1` workers that it closes with itself; null on one thread or without a pool. */
  private static async owning(threads: number | undefined, setUp: (pool: StepPool) => Promise<ParallelClassifier>): Promise<ParallelClassifier | null> {
    const n = threads ?? runThreads();
    const pool = n > 1 ? await StepPool.start(n - 1, { minimum: 1 }) : null;
    if (!pool) return null;
    try {
      const classifier = await setUp(pool);
      classifier.owned = pool;
      return classifier;
    } catch (e) {
      await pool.close();
      throw e;
    }
  }

  private static async setUp(pool: StepPool, model: GraphModel, trainedVariables: readonly tf.Variable[], optimizer: Optimizer | null, o: ParallelClassifierOptions): Promise<ParallelClassifier> {
    if (o.extraLoss && !o.extraLoss.portable) throw new Error('a data-parallel step needs an extra loss that pool workers can build (ExtraLoss.portable)');
    const portable = o.extraLoss?.portable?.();
    const loss: ClassifierLoss = {
      labelSmoothing: o.loss?.labelSmoothing ?? 0, bn: o.loss?.bn ?? 'train', sam: o.loss?.sam ?? null, extra: portable ? { ...portable, replacesCrossEntropy: o.extraLoss?.replacesCrossEntropy ?? false } : null, group: o.loss?.group ?? 1,
    };
    const keyOf = new Map<tf.Variable, string>();
    const running: tf.Variable[] = [];
    let paramLength = 0;
    for (const node of model.graph.nodes) {
      for (const [param, v] of Object.entries(node.params)) {
        keyOf.set(v, `${node.name}/${param}`);
        paramLength += v.size;
        if (loss.bn === 'train' && node.op === 'batchNorm' && node.frozen.includes(param)) running.push(v);
      }
    }
    const trained = trainedVariables.map((v) => {
      const key = keyOf.get(v);
      if (!key) throw new Error('the classifier trains a variable that is not a parameter of the model');
      return key;
    });
    const gradientLength = trainedVariables.reduce((n, v) => n + v.size, 0);
    const runningLength = running.reduce((n, v) => n + v.size, 0);
    const imageSize = model.inputShape.reduce((a, b) => a * b, 1);
    const participants = pool.size + 1;
    const buffers: ClassifierBuffers = {
      batch: new SharedArrayBuffer(4 * o.maxBatch * (imageSize + 1)),
      gradients: new SharedArrayBuffer(4 * classifierSlotLength(gradientLength, runningLength, classifierTermNames(loss).length) * (loss.sam ? 2 : 1) * participants),
      weights: new SharedArrayBuffer(4 * paramLength),
    };
    const init: ClassifierTaskInit = {
      graph: toPortableGraph(model.graph),
      trained,
      running: running.map((v) => keyOf.get(v)!),
      optimizer: optimizer?.spec ?? null,
      slots: optimizer ? await optimizer.state() : [],
      loss,
      buffers,
      barrier: barrierBuffer(),
    };
    await pool.setup(TASK, () => init, 0);
    const barrier = new StepBarrier(init.barrier, participants);
    const shard = new ClassifierShardStep(model, trainedVariables, optimizer, running, loss, buffers, { index: 0, count: participants, arrive: () => barrier.arriveAsync() }, o.extraLoss ?? null);
    return new ParallelClassifier(pool, shard, barrier, new Float32Array(buffers.batch), imageSize);
  }

  /** Closes the pool `open` started (its workers are kept for the next one); nothing for a caller's pool. */
  async close(): Promise<void> {
    await this.owned?.close();
    this.owned = null;
  }

  /**
   * One step on images `x` and integer labels; returns the batch loss and terms (at the
   * weights before the step). `seed` (the batch's) seeds each participant's dropout masks.
   */
  step(x: tf.Tensor, labels: tf.Tensor1D, lr: number, seed?: number): Promise<ClassifierStepResult> {
    return this.pass(x, labels, 'step', lr, seed, () => this.shard.step(x.shape[0], lr, seed));
  }

  /**
   * The gradient of the batch loss with respect to the trained variables at the workers'
   * weights (this thread's model after the last `pushModel()`), summed over the threads; the
   * model's BN moving statistics are set as a step sets them. `gradient` is a view, valid
   * until the next call.
   */
  async gradient(x: tf.Tensor, labels: tf.Tensor1D, seed?: number): Promise<ClassifierStepResult & { readonly gradient: Float32Array }> {
    const result = await this.pass(x, labels, 'gradient', 0, seed, () => this.shard.gradientOf(x.shape[0], seed));
    return { ...result, gradient: this.shard.gradient() };
  }

  /** Writes the batch to shared memory, then runs this thread's part beside the workers' `kind` call. */
  private async pass(x: tf.Tensor, labels: tf.Tensor1D, kind: 'step' | 'gradient', lr: number, seed: number | undefined, own: () => Promise<ClassifierStepResult>): Promise<ClassifierStepResult> {
    const count = x.shape[0];
    if (count * (this.imageSize + 1) > this.batch.length) {
      this.grown = new SharedArrayBuffer(4 * count * (this.imageSize + 1));
      this.batch = new Float32Array(this.grown);
      this.shard.useBatch(this.grown);
    }
    this.batch.set(floatValues(x), 0);
    const y = labels.dataSync();
    const at = count * this.imageSize;
    for (let i = 0; i < count; i++) this.batch[at + i] = y[i];
    const batch = this.grown;
    this.grown = null;
    const workers = this.pool.call(kind, (): ClassifierStepCall => ({ count, lr, ...(seed === undefined ? {} : { seed }), ...(batch ? { batch } : {}) }));
    // A worker that fails or stops releases this thread from the barrier.
    workers.catch(() => this.barrier.fail());
    let result: ClassifierStepResult;
    try {
      result = await own();
    } catch (e) {
      this.barrier.fail();
      await workers.catch(() => undefined);
      throw e;
    }
    await workers;
    return result;
  }

  /** Sends the model's weights to the workers' replicas (after a change made on this thread). */
  async pushModel(): Promise<void> {
    this.shard.storeWeights();
    await this.pool.call('load', () => null);
  }

  /** The tensors each worker holds (a test's leak check). */
  workerTensors(): Promise<number[]> {
    return this.pool.tensorCounts();
  }
}
