import * as tf from '@tensorflow/tfjs-core';
import { ParallelClassifier, Sgd, classificationStep, initBackend, variableKeys, type BackendChoice } from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { median, timeCalls, timePerCall } from './timing.js';

export interface StepTiming {
  readonly backend: string;
  readonly threads: number;
  /** Median seconds per step. */
  readonly seconds: number;
  readonly params: number;
  /** Final training loss, to show the step really trains. */
  readonly loss: number;
}

/** resnet-small on 28x28x1 inputs with SGD (momentum, weight decay) and a fixed batch: what both timings step. */
interface StepRig {
  readonly step: () => Promise<number>;
  readonly params: number;
  /** Threads the step runs on (1 when no pool could start). */
  readonly threads: number;
  dispose(): Promise<void>;
}

async function stepRig(batch: number, threads: number): Promise<StepRig> {
  const model = resnetSmall({ seed: 3 });
  const optimizer = new Sgd(variableKeys(model).variables, { type: 'sgd', momentum: 0.9, weightDecay: 5e-4 });
  const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 1);
  const y = tf.randomUniform([batch], 0, 10, 'int32', 2) as tf.Tensor1D;
  let parallel: ParallelClassifier | null = null;
  const dispose = async (): Promise<void> => {
    await parallel?.close();
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  };
  try {
    parallel = threads > 1 ? await ParallelClassifier.open(model, optimizer, { maxBatch: batch, threads }) : null;
    return {
      step: async () => (parallel ? await parallel.step(x, y, 0.01) : classificationStep(model, optimizer, x, y, 0.01)),
      params: model.paramCounts().total,
      threads: parallel?.threads ?? 1,
      dispose,
    };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/**
 * Median seconds per training step of resnet-small on 28x28x1 inputs (SGD with momentum and
 * weight decay, BN in training mode), the step `qcb train` runs, on one thread of `backend`.
 */
export async function trainingStepTime(backend: BackendChoice, batch: number, reps: number, warmup: number): Promise<StepTiming> {
  await initBackend(backend);
  const rig = await stepRig(batch, 1);
  let loss = NaN;
  try {
    const seconds = await timePerCall(async () => {
      loss = await rig.step();
    }, reps, warmup);
    return { backend: tf.getBackend(), threads: 1, seconds, params: rig.params, loss };
  } finally {
    await rig.dispose();
  }
}

/** Steps per round of the alternating measurement below. */
const ROUND = 5;

/**
 * The wasm training step on one thread and data-parallel on `threads` (ParallelClassifier:
 * this thread and threads - 1 pool workers), `reps` steps each: both warmed up by `warmup`
 * steps (a worker is a fresh engine, and V8 takes a few dozen steps to compile its hot
 * code), then timed in alternating rounds of a few steps, so that a change in the machine's
 * load moves both medians alike and their ratio stays put.
 */
export async function trainingStepTimes(batch: number, reps: number, warmup: number, threads: number): Promise<{ one: StepTiming; all: StepTiming }> {
  await initBackend('wasm');
  const rigs: StepRig[] = [];
  try {
    const one = await stepRig(batch, 1);
    rigs.push(one);
    const all = threads > 1 ? await stepRig(batch, threads) : null;
    if (all) rigs.push(all);
    const loss = [NaN, NaN];
    const times: number[][] = rigs.map(() => []);
    for (const rig of rigs) await timeCalls(async () => void (await rig.step()), 0, warmup);
    for (let done = 0; done < reps; done += ROUND) {
      for (const [i, rig] of rigs.entries()) {
        times[i].push(...(await timeCalls(async () => {
          loss[i] = await rig.step();
        }, Math.min(ROUND, reps - done), 0)));
      }
    }
    const timing = (i: number, n: number): StepTiming => ({ backend: tf.getBackend(), threads: n, seconds: median(times[i]), params: one.params, loss: loss[i] });
    return { one: timing(0, 1), all: all ? timing(1, all.threads) : timing(0, 1) };
  } finally {
    for (const rig of rigs) await rig.dispose();
  }
}
