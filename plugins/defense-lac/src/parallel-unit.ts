import * as tf from '@tensorflow/tfjs-core';
import { compiledModuleUrl, quantJsonOf, toPortableGraph, type CalibrationUnit, type HostRows, type JsonObject, type QuantizedModel, type StepPool } from '@qcb/core';
import type { SharedRows, UnitTaskInit } from './parallel-unit-task.js';

const TASK = { url: compiledModuleUrl('./parallel-unit-task.js', import.meta.url).href, exportName: 'createUnitTask' };

/** Host rows in shared memory, read in place by the workers (copied there once when not shared yet). */
function shared(rows: HostRows): SharedRows {
  if (rows.values.buffer instanceof SharedArrayBuffer && rows.values.byteOffset === 0 && rows.values.byteLength === rows.values.buffer.byteLength) {
    return { buffer: rows.values.buffer, shape: rows.shape };
  }
  const buffer = new SharedArrayBuffer(rows.values.byteLength);
  new Float32Array(buffer).set(rows.values);
  return { buffer, shape: rows.shape };
}

/**
 * One LAC unit's training spread over a StepPool: each worker holds the unit and the offset
 * alpha, and reads the cache in shared memory in place, computes the gradient of its shard of each batch (weighted by the shard's
 * share, so the sum is the whole batch's gradient) and scores its part of the cache. The
 * caller keeps the optimizer; alpha goes to the workers through shared memory before each call.
 */
export class ParallelUnit {
  private constructor(
    private readonly pool: StepPool,
    private readonly alpha: tf.Variable,
    private readonly alphaShared: Float32Array,
    private readonly count: number,
  ) {}

  static async start(pool: StepPool, work: QuantizedModel, unit: CalibrationUnit, inputs: HostRows, targets: HostRows, alpha: tf.Variable, o: { quantizeOutput: boolean; scoreBatch: number }): Promise<ParallelUnit> {
    const alphaBuffer = new SharedArrayBuffer(4 * alpha.size);
    const init: UnitTaskInit = {
      graph: toPortableGraph(work.model.graph),
      quantJson: quantJsonOf(work) as unknown as JsonObject,
      unit: { ...unit, nodes: [...unit.nodes] },
      quantizeOutput: o.quantizeOutput,
      inputs: shared(inputs),
      targets: shared(targets),
      alpha: alphaBuffer,
      scoreBatch: o.scoreBatch,
    };
    await pool.setup(TASK, () => init, alpha.size);
    return new ParallelUnit(pool, alpha, new Float32Array(alphaBuffer), inputs.count);
  }

  /** The batch's loss and the gradient with respect to alpha (the caller disposes it). */
  async gradient(idx: readonly number[]): Promise<{ loss: number; grad: tf.Tensor }> {
    this.publishAlpha();
    const rows = Int32Array.from(idx);
    const losses = (await this.pool.call('grad', () => rows)) as number[];
    return { loss: losses.reduce((a, b) => a + b, 0), grad: tf.tensor(this.pool.summedGradient(), this.alpha.shape) };
  }

  /** The reconstruction loss over the whole cache at the current alpha. */
  async score(): Promise<number> {
    this.publishAlpha();
    const sums = (await this.pool.call('score', () => null)) as number[];
    return sums.reduce((a, b) => a + b, 0) / this.count;
  }

  private publishAlpha(): void {
    this.alphaShared.set(this.alpha.dataSync());
  }
}
