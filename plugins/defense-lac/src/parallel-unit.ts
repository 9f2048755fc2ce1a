import * as tf from '@tensorflow/tfjs-core';
import { StepBarrier, barrierBuffer, compiledModuleUrl, quantJsonOf, toPortableGraph, type CalibrationUnit, type HostRows, type JsonObject, type QuantizedModel, type StepPool } from '@qcb/core';
import type { SharedRows, UnitStepsCall, UnitTaskInit } from './parallel-unit-task.js';

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
 * One LAC unit's training on a StepPool's workers, DDP-style (parallel-unit-task.ts): each
 * worker holds the unit, its own replica of alpha and of Adam, and reads the cache in shared
 * memory in place. A call runs many steps, the workers meeting at a barrier in each, so a
 * step costs no message; this thread only picks the batches, and between calls scores the
 * cache, keeps the best offset and restarts the workers from it.
 */
export class ParallelUnit {
  private constructor(
    private readonly pool: StepPool,
    private readonly barrier: StepBarrier,
    private readonly alphaShared: Float32Array,
    private readonly shape: readonly number[],
    private readonly count: number,
  ) {}

  static async start(
    pool: StepPool, work: QuantizedModel, unit: CalibrationUnit, cache: { readonly inputs: HostRows; readonly targets: HostRows; readonly scoredInputs: HostRows }, alpha: tf.Variable,
    o: { quantizeOutput: boolean; scoreBatch: number; stepBatch: number; shift: number; shiftSeed: number },
  ): Promise<ParallelUnit> {
    const inputs = shared(cache.inputs);
    const alphaBuffer = new SharedArrayBuffer(4 * alpha.size);
    const init: UnitTaskInit = {
      graph: toPortableGraph(work.model.graph),
      quantJson: quantJsonOf(work) as unknown as JsonObject,
      unit: { ...unit, nodes: [...unit.nodes] },
      quantizeOutput: o.quantizeOutput,
      inputs,
      targets: shared(cache.targets),
      scoredInputs: cache.scoredInputs === cache.inputs ? inputs : shared(cache.scoredInputs),
      alpha: alphaBuffer,
      gradients: new SharedArrayBuffer(4 * alpha.size * 2 * pool.size),
      barrier: barrierBuffer(),
      scoreBatch: o.scoreBatch,
      stepBatch: o.stepBatch,
      shift: o.shift,
      shiftSeed: o.shiftSeed,
    };
    await pool.setup(TASK, () => init, 0);
    const unitRun = new ParallelUnit(pool, new StepBarrier(init.barrier, pool.size), new Float32Array(alphaBuffer), alpha.shape, cache.inputs.count);
    await unitRun.reset(alpha);
    return unitRun;
  }

  /** Adam steps at `lr`, one per batch of cache rows (all of one size), the first being step `first` of the unit; each step's batch loss. */
  async steps(batches: readonly (readonly number[])[], lr: number, first: number): Promise<number[]> {
    const batch = batches[0]?.length ?? 0;
    const rows = Int32Array.from(batches.flat());
    const calls = this.pool.call('steps', (): UnitStepsCall => ({ rows, batch, lr, first }));
    // A worker that fails or stops releases the others from the barrier.
    calls.catch(() => this.barrier.fail());
    const losses = (await calls) as number[][];
    return batches.map((_, s) => losses.reduce((sum, own) => sum + own[s], 0));
  }

  /** The reconstruction loss over the whole cache at the workers' alpha (then readable with `copyAlpha`). */
  async score(): Promise<number> {
    const sums = (await this.pool.call('score', () => null)) as number[];
    return sums.reduce((a, b) => a + b, 0) / this.count;
  }

  /** The workers' alpha at the last `score()` into `into`. */
  copyAlpha(into: tf.Variable): void {
    tf.tidy(() => into.assign(tf.tensor(this.alphaShared, [...this.shape])));
  }

  /** Every worker continues from `from` with a fresh Adam. */
  async reset(from: tf.Variable): Promise<void> {
    this.alphaShared.set(from.dataSync());
    await this.pool.call('reset', () => null);
  }
}
