import * as tf from '@tensorflow/tfjs-core';
import { StepPool, compiledModuleUrl, floatValues, runThreads, shardsOf, toPortableGraph, type Batch, type GraphModel } from '@qcb/core';
import type { OuterGradients } from './hypergradient.js';
import type { IbauTaskInit, OuterCall, ProductCall, SearchCall, ShardRows } from './pool-task.js';
import type { SecondOrder } from './second-order.js';

const TASK = { url: compiledModuleUrl('./pool-task.js', import.meta.url).href, exportName: 'createIbauTask' };

/** The rows of `x` (and labels `y`, or none) in `count` contiguous shards, each as plain data of its own. */
function rowsOf(x: tf.Tensor, y: tf.Tensor | null, count: number): ShardRows[] {
  const values = x.dataSync() as Float32Array;
  const labels = y ? Int32Array.from(y.dataSync()) : new Int32Array(x.shape[0]);
  const size = x.size / x.shape[0];
  // slice, not subarray: a view would send the whole batch's buffer to every worker.
  return shardsOf(x.shape[0], count).map(({ start, size: rows }) => ({
    x: values.slice(start * size, (start + rows) * size), y: labels.slice(start, start + rows), rows,
  }));
}

/**
 * I-BAU's gradients and second-order products on a StepPool's workers (pool-task.ts), each
 * worker its contiguous share of every batch, summed in worker order: the outer loss's
 * gradient (whose batch is the larger part of a step), the Hessian and mixed products of the
 * inner batch, and the perturbation search's steps. The calling thread keeps the model and
 * the optimizer and waits; before each gradient it writes the model's current weights to
 * shared memory, which the workers reload when they changed. The same seed and thread count
 * give the same figures; they differ from one thread's by float rounding only.
 */
export class IbauPool {
  private version = 0;
  private readonly weights: Float32Array;
  private readonly thetaSize: number;

  private constructor(private readonly pool: StepPool, private readonly vars: readonly tf.Variable[], weights: SharedArrayBuffer) {
    this.weights = new Float32Array(weights);
    this.thetaSize = this.weights.length;
  }

  /**
   * On runThreads() workers (null on one thread or where no pool runs): `vars` (keyed by
   * `keys`) are the trained variables of `model`, `inner` the hypergradient's inner batch.
   */
  static async open(
    model: GraphModel, vars: readonly tf.Variable[], keys: readonly string[], inner: { readonly x: tf.Tensor; readonly y: tf.Tensor; readonly reg: number },
    secondOrder: 'exact' | 'finite-difference',
  ): Promise<IbauPool | null> {
    const pool = await StepPool.start(runThreads());
    if (!pool) return null;
    try {
      const thetaSize = vars.reduce((n, v) => n + v.size, 0);
      const weights = new SharedArrayBuffer(4 * thetaSize);
      const graph = toPortableGraph(model.graph);
      const innerRows = rowsOf(inner.x, inner.y, pool.size);
      await pool.setup(TASK, (i): IbauTaskInit => ({
        graph, keys, weights, inner: innerRows[i], innerShare: innerRows[i].rows / inner.x.shape[0], reg: inner.reg, secondOrder,
      }), thetaSize + model.inputShape.reduce((a, b) => a * b, 1));
      return new IbauPool(pool, vars, weights);
    } catch (e) {
      await pool.close();
      throw e;
    }
  }

  /** The outer loss (cross-entropy, delta added to the masked rows) and its gradients in the variables and delta. */
  async outer(batch: Batch, mask: tf.Tensor, delta: tf.Tensor): Promise<OuterGradients> {
    const version = this.publish();
    const count = batch.x.shape[0];
    const rows = rowsOf(batch.x, batch.y, this.pool.size);
    const masks = mask.dataSync() as Float32Array;
    const d = delta.dataSync() as Float32Array;
    let start = 0;
    const calls = rows.map((r): OuterCall => {
      const call = { version, rows: r, mask: masks.slice(start, start + r.rows), delta: d, share: r.rows / count };
      start += r.rows;
      return call;
    });
    const losses = (await this.pool.call('outer', (i) => calls[i])) as number[];
    const sum = this.pool.summedGradient();
    return { loss: losses.reduce((a, b) => a + b, 0), gTheta: this.thetaTensors(sum), gDelta: tf.tensor(sum.subarray(this.thetaSize), delta.shape, 'float32') };
  }

  /** The gradient in delta of the perturbation search's loss on `x` (perturbationLoss against the model's own predictions). */
  async searchGradient(x: tf.Tensor, delta: tf.Tensor, reg: number): Promise<tf.Tensor> {
    const version = this.publish();
    const rows = rowsOf(x, null, this.pool.size);
    const d = delta.dataSync() as Float32Array;
    await this.pool.call('search', (i): SearchCall => ({ version, rows: rows[i], delta: d, share: rows[i].rows / x.shape[0], reg }));
    return tf.tensor(this.pool.summedGradient().subarray(this.thetaSize), delta.shape, 'float32');
  }

  /** The inner loss's second-order products, summed over the workers' shares of the inner batch. */
  get second(): SecondOrder {
    return {
      hvp: async (delta, v) => {
        const call = this.productCall(delta, v);
        await this.pool.call('hvp', () => call);
        return tf.tensor(this.pool.summedGradient().subarray(this.thetaSize), delta.shape, 'float32');
      },
      mixed: async (delta, v) => {
        const call = this.productCall(delta, v);
        await this.pool.call('mixed', () => call);
        return this.thetaTensors(this.pool.summedGradient());
      },
    };
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private productCall(delta: tf.Tensor, v: tf.Tensor): ProductCall {
    return { version: this.version, delta: delta.dataSync() as Float32Array, v: v.dataSync() as Float32Array };
  }

  /** The variables' current values into shared memory; the version the workers then load. */
  private publish(): number {
    let offset = 0;
    for (const v of this.vars) {
      this.weights.set(floatValues(v), offset);
      offset += v.size;
    }
    return ++this.version;
  }

  private thetaTensors(sum: Float32Array): tf.Tensor[] {
    let offset = 0;
    return this.vars.map((v) => {
      const t = tf.tensor(sum.subarray(offset, offset + v.size), v.shape, 'float32');
      offset += v.size;
      return t;
    });
  }
}
