import * as tf from '@tensorflow/tfjs-core';
import { ReplicaRun, compiledModuleUrl, toPortableQuantized, type CalibrationUnit, type HostRows, type QuantizedModel, type StepPool } from '@qcb/core';
import type { UnitTaskInit } from './parallel-unit-task.js';

const TASK = { url: compiledModuleUrl('./parallel-unit-task.js', import.meta.url).href, exportName: 'createUnitTask' };

/**
 * One LAC unit's training on a StepPool's workers (parallel-unit-task.ts on core's
 * AdamReplica): each worker holds the unit and its own replica of alpha and of Adam, and
 * reads the cache in shared memory in place. This thread picks the batches, and between
 * calls scores the cache, keeps the best offset and restarts the workers from it.
 */
export class ParallelUnit {
  private constructor(private readonly run: ReplicaRun, private readonly count: number) {}

  static async start(
    pool: StepPool, work: QuantizedModel, unit: CalibrationUnit, cache: { readonly inputs: HostRows; readonly targets: HostRows; readonly scoredInputs: HostRows }, alpha: tf.Variable,
    o: { quantizeOutput: boolean; scoreBatch: number; stepBatch: number; shift: number; shiftSeed: number },
  ): Promise<ParallelUnit> {
    const inputs = cache.inputs.shared();
    const run = await ReplicaRun.start(pool, TASK, alpha, (replica): UnitTaskInit => ({
      work: toPortableQuantized(work),
      unit: { ...unit, nodes: [...unit.nodes] },
      quantizeOutput: o.quantizeOutput,
      inputs,
      targets: cache.targets.shared(),
      scoredInputs: cache.scoredInputs === cache.inputs ? inputs : cache.scoredInputs.shared(),
      replica,
      scoreBatch: o.scoreBatch,
      stepBatch: o.stepBatch,
      shift: o.shift,
      shiftSeed: o.shiftSeed,
    }));
    return new ParallelUnit(run, cache.inputs.count);
  }

  /**
   * Adam steps at `lr`, one per batch of cache rows (all of one size), the first being step
   * `first` of the unit; each step's batch loss. They run on the workers the run's other work
   * leaves free (ReplicaRun's default: one while the side worker evaluates the baselines),
   * each shard computed as the whole pool would.
   */
  steps(batches: readonly (readonly number[])[], lr: number, first: number): Promise<number[]> {
    return this.run.steps(batches, lr, first);
  }

  /** The reconstruction loss over the whole cache at the workers' alpha (then readable with `copyAlpha`). */
  async score(): Promise<number> {
    const answers = (await this.run.callActive('score')) as { part: number; sum: number }[][];
    // Summed in part order, whichever worker scored each part.
    const sums = answers.flat().sort((a, b) => a.part - b.part);
    return sums.reduce((a, b) => a + b.sum, 0) / this.count;
  }

  /** The workers' alpha at the last `score()` into `into`. */
  copyAlpha(into: tf.Variable): void {
    this.run.copyValues(into);
  }

  /** Every worker continues from `from` with a fresh Adam. */
  reset(from: tf.Variable): Promise<void> {
    return this.run.reset(from);
  }
}
