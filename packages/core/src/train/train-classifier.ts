import type { Dataset } from '../data/image-set.js';
import type { GraphModel } from '../ir/graph-model.js';
import { evaluationPlan } from '../metrics/evaluation-plan.js';
import { predictClasses } from '../metrics/predict.js';
import { withAllocationGuardAsync } from '../runtime/memory/allocation-failure.js';
import { refuseUnfitTraining, trainingPlan } from '../runtime/memory/training-plan.js';
import { accuracy } from '../metrics/accuracy.js';
import { epochBatches, stepsPerEpoch } from './epoch-batches.js';
import { fit, type FitPosition, type StepContext } from './fit.js';
import type { AugmentSpec } from './augment.js';
import { createOptimizer, type Optimizer, type OptimizerSpec, type SlotState } from './optimizers/index.js';
import { lrSchedule, type ScheduleSpec } from './schedules.js';
import { crossEntropy } from './train-step.js';
import { ParallelClassifier } from '../parallel/parallel-classifier.js';

export interface ClassifierTrainingConfig {
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: OptimizerSpec;
  readonly schedule: ScheduleSpec;
  readonly augment?: AugmentSpec;
  readonly seed: number;
}

export interface EpochReport {
  readonly epoch: number;
  readonly loss: number;
  /** Test accuracy in percent. */
  readonly testAccuracy: number;
  readonly seconds: number;
}

export interface TrainClassifierOptions {
  /** Continue after this many epochs (and `step` steps of the next, their losses summing to `lossSum`) with these optimizer slots. */
  readonly resume?: { readonly epoch: number; readonly step?: number; readonly lossSum?: number; readonly slots: readonly SlotState[] };
  readonly onStep?: (ctx: StepContext, steps: number, loss: number) => void;
  /** Called after every epoch with the optimizer, e.g. to write a checkpoint. */
  readonly onEpoch?: (report: EpochReport, optimizer: Optimizer) => Promise<void> | void;
  /** Mid-epoch checkpoints: called after a step at most every `checkpointSeconds` (see FitOptions). */
  readonly checkpointSeconds?: number;
  readonly onCheckpoint?: (at: FitPosition, optimizer: Optimizer) => Promise<void> | void;
  /** Threads the steps run on (default runThreads(), --threads); the figures depend on it. */
  readonly threads?: number;
}

/** Stable optimizer keys: `node/param`. */
export function variableKeys(model: GraphModel): { variables: ReturnType<GraphModel['variables']>; keys: string[] } {
  const keys: string[] = [];
  const variables = model.variables((node, param) => {
    const trainable = !node.frozen.includes(param);
    if (trainable) keys.push(`${node.name}/${param}`);
    return trainable;
  });
  return { variables, keys };
}

/**
 * Supervised training with softmax cross-entropy, test accuracy after each epoch. On more
 * than one thread the steps run data-parallel (ParallelClassifier: each thread the gradient
 * of its shard, BN on the shard's statistics), so the weights depend on the thread count.
 */
export async function trainClassifier(model: GraphModel, data: Dataset, config: ClassifierTrainingConfig, options: TrainClassifierOptions = {}): Promise<EpochReport[]> {
  // The batch size is a hyperparameter: refused, not changed, when it cannot fit.
  const plan = trainingPlan(model, config.batchSize);
  refuseUnfitTraining(plan, '--batch-size');
  const testPlan = evaluationPlan(model);
  const { variables, keys } = variableKeys(model);
  const optimizer = createOptimizer(config.optimizer, variables, keys);
  if (options.resume) optimizer.loadState(options.resume.slots);
  const batchOptions = { batchSize: config.batchSize, seed: config.seed, normalization: data.normalization, augment: config.augment };
  const steps = stepsPerEpoch(data.train.count, batchOptions);
  const reports: EpochReport[] = [];
  let started = performance.now();
  let parallel: ParallelClassifier | null = null;
  try {
    parallel = await ParallelClassifier.open(model, optimizer, { maxBatch: config.batchSize, ...(options.threads ? { threads: options.threads } : {}) });
    await withAllocationGuardAsync({ ...plan, hint: 'lower --batch-size, or use --backend tensorflow' }, () => fit({
      model,
      epochs: config.epochs,
      startEpoch: options.resume?.epoch ?? 0,
      startStep: options.resume?.step,
      startLossSum: options.resume?.lossSum,
      stepsPerEpoch: steps,
      optimizer,
      parallel,
      schedule: lrSchedule(config.schedule),
      batches: (epoch, fromStep) => epochBatches(data.train, epoch, batchOptions, fromStep),
      loss: (batch) => crossEntropy(model.predict(batch.x, { training: true }), batch.y),
      onStep: (ctx, loss) => options.onStep?.(ctx, steps, loss),
      checkpointSeconds: options.checkpointSeconds,
      onCheckpoint: options.onCheckpoint && ((at) => options.onCheckpoint!(at, optimizer)),
      onEpochEnd: async (epoch, loss) => {
        const predictions = predictClasses((x) => model.predict(x), data.test, { normalization: data.normalization, plan: testPlan });
        const report = { epoch, loss, testAccuracy: accuracy(predictions, data.test.labels), seconds: (performance.now() - started) / 1000 };
        reports.push(report);
        await options.onEpoch?.(report, optimizer);
        started = performance.now();
      },
    }));
  } finally {
    await parallel?.close();
    optimizer.dispose();
  }
  return reports;
}
