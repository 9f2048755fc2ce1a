import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { ParallelClassifier, Sgd, StepPool, classificationStep, initBackend, variableKeys, type BackendChoice } from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { runConcurrently } from './concurrent-steps.js';
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

/** resnet-small on 28x28x1 inputs with SGD (momentum, weight decay) and a fixed batch: what every timing steps. */
interface StepRig {
  readonly step: () => Promise<number>;
  readonly params: number;
  /** Threads the step runs on (1 when no pool could start). */
  readonly threads: number;
  dispose(): Promise<void>;
}

async function stepRig(batch: number, threads: number, width = 1): Promise<StepRig> {
  const model = resnetSmall({ seed: 3, width });
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
      step: async () => (parallel ? (await parallel.step(x, y, 0.01)).loss : classificationStep(model, optimizer, x, y, 0.01)),
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

/** What one process timing one configuration reports (step-child.ts). */
export interface StepSample {
  readonly threads: number;
  /** Seconds of each timed step. */
  readonly times: number[];
  readonly params: number;
  readonly loss: number;
}

/** `steps` timed wasm steps on `threads` threads after `warmup` untimed ones, in this process (resnet-small with its channels times `width`). */
export async function stepTimes(batch: number, threads: number, warmup: number, steps: number, width = 1): Promise<StepSample> {
  await initBackend('wasm');
  const rig = await stepRig(batch, threads, width);
  let loss = NaN;
  try {
    const times = await timeCalls(async () => {
      loss = await rig.step();
    }, steps, warmup);
    return { threads: rig.threads, times, params: rig.params, loss };
  } finally {
    await rig.dispose();
    await StepPool.closeIdle();
  }
}

const CHILD = fileURLToPath(new URL('./step-child.js', import.meta.url));

function childArgs(batch: number, threads: number, warmup: number, steps: number, width: number): string[] {
  return [CHILD, '--threads', String(threads), '--batch', String(batch), '--warmup', String(warmup), '--steps', String(steps), '--width', String(width)];
}

/** The same, in a fresh Node process. */
async function stepTimesApart(batch: number, threads: number, warmup: number, steps: number, width: number): Promise<StepSample> {
  const [sample] = await runConcurrently<StepSample>(process.execPath, childArgs(batch, threads, warmup, steps, width), 1);
  return sample;
}

/** Rounds of the alternating measurement below. */
const ROUNDS = 2;

export interface StepTimings {
  readonly one: StepTiming;
  readonly all: StepTiming;
  /** One-thread steps of `threads` processes running at once (absent on one thread). */
  readonly copies?: StepTiming;
}

/**
 * The wasm training step on one thread and data-parallel on `threads` (ParallelClassifier:
 * this thread and threads - 1 pool workers), `reps` steps each. Each configuration runs in a
 * process of its own, as a qcb run does (in one process the two would share the calling
 * thread's engine and V8's helper threads, and the workers' compiling and collecting would
 * go on into the other's steps), warmed up by `warmup` steps (a worker is a fresh engine, and
 * V8 takes a few dozen steps to compile its hot code). With `withCopies`, a third
 * configuration runs `threads` one-thread processes at once: the throughput they reach
 * together is what the machine gives independent copies of the same kernels. The
 * configurations alternate for a few rounds, so that a change in the machine's load moves
 * every median alike.
 */
export async function trainingStepTimes(batch: number, reps: number, warmup: number, threads: number, width = 1, withCopies = true): Promise<StepTimings> {
  const steps = Math.ceil(reps / ROUNDS);
  const one: StepSample[] = [];
  const all: StepSample[] = [];
  const copies: StepSample[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    one.push(await stepTimesApart(batch, 1, warmup, steps, width));
    if (threads <= 1) continue;
    all.push(await stepTimesApart(batch, threads, warmup, steps, width));
    if (withCopies) copies.push(...(await runConcurrently<StepSample>(process.execPath, childArgs(batch, 1, warmup, steps, width), threads)));
  }
  const timing = (s: StepSample[]): StepTiming => ({
    backend: 'wasm',
    threads: s[0].threads,
    seconds: median(s.flatMap((x) => x.times)),
    params: s[0].params,
    loss: s[s.length - 1].loss,
  });
  const single = timing(one);
  if (threads <= 1) return { one: single, all: single };
  return copies.length > 0 ? { one: single, all: timing(all), copies: timing(copies) } : { one: single, all: timing(all) };
}
