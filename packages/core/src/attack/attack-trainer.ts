import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type * as tf from '@tensorflow/tfjs-core';
import type { ImageSet, Normalization } from '../data/image-set.js';
import type { GraphModel } from '../ir/graph-model.js';
import type { QcbSidecar } from '../io/folder/index.js';
import { loadModel, saveModel } from '../io/model-io.js';
import type { Batch } from '../kernel/hook-types.js';
import type { AugmentSpec } from '../train/augment.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointState, type LoadedCheckpoint } from '../train/checkpoint.js';
import { epochBatches, stepsPerEpoch, type ComposeBatch, type EpochBatchOptions } from '../train/epoch-batches.js';
import { DEFAULT_CHECKPOINT_SECONDS, fit, type StepContext } from '../train/fit.js';
import { createOptimizer, type Optimizer, type OptimizerSpec, type SlotState } from '../train/optimizers/index.js';
import { lrSchedule, type ScheduleSpec } from '../train/schedules.js';
import { variableKeys } from '../train/train-classifier.js';
import { withAllocationGuardAsync } from '../runtime/memory/allocation-failure.js';
import { checkMeasuredTraining, refuseUnfitTraining, trainingPlan } from '../runtime/memory/training-plan.js';
import type { BatchPlan } from '../runtime/memory/batch-plan.js';
import { measurePhaseStepBytes } from './phase-step-bytes.js';
import { ParallelClassifier } from '../parallel/parallel-classifier.js';
import { composedPerShard } from '../parallel/composed-per-shard.js';
import type { BnMode, ExtraLoss } from '../defense/training/spec.js';

/** One training phase of an attack (PQBackdoor has two, the others one). */
export interface AttackPhase {
  readonly name: string;
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: OptimizerSpec;
  readonly schedule: ScheduleSpec;
  readonly augment?: AugmentSpec;
  /** Training images (default: the whole training set). */
  readonly data?: ImageSet;
  readonly compose?: ComposeBatch;
  readonly loss: (batch: Batch, ctx: StepContext) => tf.Scalar;
  /**
   * True when `loss` is the softmax cross-entropy of the trained model's logits with BN in
   * training mode (`crossEntropy(model.predict(x, { training: true }), y)`): with --threads
   * above 1 the phase's steps then run data-parallel on that many threads. Any other loss
   * runs on the calling thread unless `dataParallel` describes it.
   */
  readonly crossEntropyLoss?: boolean;
  /**
   * `loss` as the cross-entropy of the trained model's logits (BN in mode `bn`) plus the
   * terms of `extraLoss` (or those terms alone, with `extraLoss.replacesCrossEntropy`): with
   * --threads above 1 (and an `extraLoss` that is `portable`), the phase's steps run data-parallel, each
   * participant's shard of the raw batch composed on its own (composedPerShard) when
   * `compose` gives `rowsPerImage` > 1 rows per image (2 for [clean; triggered]). The
   * one-thread steps keep `loss`, which must compute the same value.
   */
  readonly dataParallel?: {
    /** None: the cross-entropy alone. */
    readonly extraLoss?: ExtraLoss;
    readonly rowsPerImage: number;
    /** BN in the training pass and whether its moving statistics are synchronised (default 'train'). */
    readonly bn?: BnMode;
  };
  readonly afterStep?: (ctx: StepContext) => void;
}

/** A data-parallel classifier for the phase on --threads threads, when its loss allows one (null: the calling thread steps alone). */
function openParallel(model: GraphModel, optimizer: Optimizer, phase: AttackPhase): Promise<ParallelClassifier | null> {
  if (phase.crossEntropyLoss) return ParallelClassifier.open(model, optimizer, { maxBatch: phase.batchSize });
  const p = phase.dataParallel;
  if (!p || (p.extraLoss && !p.extraLoss.portable)) return Promise.resolve(null);
  return ParallelClassifier.open(model, optimizer, {
    maxBatch: phase.batchSize * p.rowsPerImage, ...(p.extraLoss ? { extraLoss: p.extraLoss } : {}), loss: { group: p.rowsPerImage, bn: p.bn ?? 'train' },
  });
}

export interface PhaseProgress {
  onStep?(phase: AttackPhase, ctx: StepContext, steps: number, loss: number): void;
  onEpoch?(phase: AttackPhase, epoch: number, loss: number): void;
  /** A line for the user before a phase starts, e.g. that its batch may not fit memory. */
  note?(line: string): void;
}

/**
 * Runs attack phases with a checkpoint after every epoch (model, optimizer slots, phase
 * and epoch), and inside an epoch every `checkpointSeconds` (plus the step), and resumes an
 * interrupted run exactly where it stopped.
 */
export class AttackTrainer {
  private completed: string[];

  private constructor(
    readonly model: GraphModel,
    private readonly dir: string,
    private readonly settings: Record<string, unknown>,
    private readonly normalization: Normalization,
    private readonly train: ImageSet,
    private readonly seed: number,
    private readonly sidecar: QcbSidecar | null,
    private readonly progress: PhaseProgress,
    private resume: LoadedCheckpoint | null,
    private readonly checkpointSeconds: number,
  ) {
    this.completed = [...(resume?.state.completedPhases ?? [])];
  }

  /** Opens the checkpoint at `dir` if there is one (its model replaces `fresh`), else starts with `fresh()`. */
  static async open(o: {
    dir: string;
    settings: Record<string, unknown>;
    fresh: () => Promise<GraphModel>;
    normalization: Normalization;
    train: ImageSet;
    seed: number;
    sidecar?: QcbSidecar | null;
    progress?: PhaseProgress;
    /** Also checkpoint inside an epoch, at most this often (default DEFAULT_CHECKPOINT_SECONDS). */
    checkpointSeconds?: number;
  }): Promise<{ trainer: AttackTrainer; resumed: CheckpointState | null }> {
    const checkpoint = await loadCheckpoint(o.dir, o.settings);
    const model = checkpoint?.model ?? (await o.fresh());
    const trainer = new AttackTrainer(
      model, o.dir, o.settings, o.normalization, o.train, o.seed, o.sidecar ?? null, o.progress ?? {}, checkpoint, o.checkpointSeconds ?? DEFAULT_CHECKPOINT_SECONDS,
    );
    return { trainer, resumed: checkpoint?.state ?? null };
  }

  async runPhase(phase: AttackPhase): Promise<void> {
    if (this.completed.includes(phase.name)) return;
    const data = phase.data ?? this.train;
    const { variables, keys } = variableKeys(this.model);
    // Every batch's options but its size and the composition (sharded with threads).
    const batching = { seed: this.seed, normalization: this.normalization, ...(phase.augment ? { augment: phase.augment } : {}) };
    const plan = await this.checkMemory(phase, data, { ...batching, ...(phase.compose ? { compose: phase.compose } : {}) }, variables);
    const resuming = this.resume?.state.phase === phase.name ? this.resume : null;
    const optimizer = createOptimizer(phase.optimizer, variables, keys);
    if (resuming) optimizer.loadState(resuming.slots as SlotState[]);
    const startEpoch = resuming?.state.epoch ?? 0;
    this.resume = null;
    const save = (state: Pick<CheckpointState, 'epoch' | 'phase' | 'step' | 'lossSum'>): Promise<void> =>
      saveCheckpoint(this.dir, this.model, optimizer, { ...state, completedPhases: this.completed, settings: this.settings, history: [] }, this.sidecar);
    let parallel: ParallelClassifier | null = null;
    try {
      parallel = await openParallel(this.model, optimizer, phase);
      const group = phase.dataParallel?.rowsPerImage ?? 1;
      const compose = phase.compose && parallel && group > 1 ? composedPerShard(phase.compose, parallel.threads, group) : phase.compose;
      const batchOptions: EpochBatchOptions = { ...batching, batchSize: phase.batchSize, ...(compose ? { compose } : {}) };
      const steps = stepsPerEpoch(data.count, batchOptions);
      await withAllocationGuardAsync({ ...plan, stage: `training (${phase.name})`, batch: phase.batchSize, hint: "lower the attack's batchSize option, or use --backend tensorflow" }, () => fit({
        model: this.model,
        epochs: phase.epochs,
        startEpoch,
        startStep: resuming?.state.step,
        startLossSum: resuming?.state.lossSum,
        stepsPerEpoch: steps,
        optimizer,
        parallel,
        schedule: lrSchedule(phase.schedule),
        batches: (epoch, fromStep) => epochBatches(data, epoch, batchOptions, fromStep),
        loss: phase.loss,
        afterStep: phase.afterStep,
        onStep: (ctx, loss) => this.progress.onStep?.(phase, ctx, steps, loss),
        checkpointSeconds: this.checkpointSeconds,
        onCheckpoint: (at) => save({ epoch: at.epoch, step: at.step, lossSum: at.lossSum, phase: phase.name }),
        onEpochEnd: async (epoch, loss) => {
          this.progress.onEpoch?.(phase, epoch, loss);
          const done = epoch + 1 === phase.epochs;
          if (done) this.completed.push(phase.name);
          await save({ epoch: done ? 0 : epoch + 1, phase: done ? undefined : phase.name });
        },
      }));
    } finally {
      await parallel?.close();
      optimizer.dispose();
    }
  }

  /**
   * The phase's batch against memory. The batch size is the attack's hyperparameter: refused,
   * not changed, when it cannot fit. Judged by the phase's step measured on this model
   * (measurePhaseStepBytes: every branch and composed row of the attack's loss; a batch over
   * the budget's share only gets a note), or by the IR's estimate of one plain training pass
   * when the data is too small to measure on.
   */
  private async checkMemory(phase: AttackPhase, data: ImageSet, batching: Omit<EpochBatchOptions, 'batchSize'>, trainable: readonly tf.Variable[]): Promise<BatchPlan> {
    const option = "the attack's batchSize option";
    const step = await measurePhaseStepBytes(this.model, phase, data, batching, trainable);
    if (!step) {
      const plan = trainingPlan(this.model, phase.batchSize);
      refuseUnfitTraining(plan, option);
      return plan;
    }
    const plan = trainingPlan(this.model, phase.batchSize, { measured: step });
    const note = checkMeasuredTraining(plan, option);
    if (note) this.progress.note?.(note);
    return plan;
  }

  private artifactDir(name: string): string {
    return `${this.dir}-artifacts/${name}`;
  }

  async saveArtifact(name: string, model: GraphModel): Promise<void> {
    await saveModel(this.artifactDir(name), model);
  }

  async loadArtifact(name: string): Promise<GraphModel | null> {
    const dir = this.artifactDir(name);
    return existsSync(dir) ? (await loadModel(dir)).model : null;
  }

  /** Removes the checkpoint and artifacts once the result is written. */
  async cleanUp(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await rm(`${this.dir}-artifacts`, { recursive: true, force: true });
  }
}
