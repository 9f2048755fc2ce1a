import * as tf from '@tensorflow/tfjs-core';
import { GraphModel } from '../ir/graph-model.js';
import { createOptimizer, type OptimizerSpec, type SlotState } from '../train/optimizers/index.js';
import type { ExtraLossFactory, WorkerExtraLoss } from '../defense/training/spec.js';
import { ClassifierShardStep, slotsNamedAs, type ClassifierBuffers, type ClassifierLoss } from './classifier-shard-step.js';
import { fromPortableGraph, type PortableGraph } from './portable-graph.js';
import type { ParallelTask } from './task.js';
import { StepBarrier } from './step-barrier.js';

/** What each worker receives once (parallel-classifier.ts sends it). */
export interface ClassifierTaskInit {
  readonly graph: PortableGraph;
  /** `node/param` of the trained variables, in the optimizer's order. */
  readonly trained: readonly string[];
  /** `node/param` of the BN moving statistics a step updates (none when BN is in eval mode). */
  readonly running: readonly string[];
  /** null: the workers compute gradients only ('gradient' calls). */
  readonly optimizer: OptimizerSpec | null;
  /** The optimizer's slots to start from, in its `state()` order (empty: fresh). */
  readonly slots: readonly SlotState[];
  readonly loss: ClassifierLoss;
  readonly buffers: ClassifierBuffers;
  /** The participants' barrier (worker-barrier.ts); the calling thread is participant 0. */
  readonly barrier: SharedArrayBuffer;
}

/** A step's request: the batch's size and the learning rate (answered with a ClassifierStepResult). */
export interface ClassifierStepCall {
  readonly count: number;
  readonly lr: number;
  /** The batch's seed (Batch.seed): each participant's dropout masks. */
  readonly seed?: number;
  /** A larger batch buffer replacing the last one (a batch above the size set up for). */
  readonly batch?: SharedArrayBuffer;
}

/**
 * The worker side of ParallelClassifier: a replica of the model and of the optimizer, and
 * participant `index + 1` of each step (ClassifierShardStep), the calling thread being 0.
 * Calls: 'step' (ClassifierStepCall, answers the batch loss and terms), 'gradient' (the
 * same without the update: the calling thread reads the summed gradient), 'load' (the shared
 * weights into the replica).
 */
export async function createClassifierTask(raw: unknown, worker: { readonly index: number; readonly count: number }): Promise<ParallelTask> {
  const init = raw as ClassifierTaskInit;
  const model = new GraphModel(fromPortableGraph(init.graph));
  const variable = (key: string): tf.Variable => {
    const cut = key.lastIndexOf('/');
    return model.node(key.slice(0, cut)).params[key.slice(cut + 1)];
  };
  const trained = init.trained.map(variable);
  const optimizer = init.optimizer ? createOptimizer(init.optimizer, trained) : null;
  if (optimizer && init.slots.length > 0) optimizer.loadState(slotsNamedAs(init.slots, await optimizer.state()));
  const extra = init.loss.extra ? await buildExtraLoss(init.loss.extra.module, init.loss.extra.init, model) : null;
  const participants = worker.count + 1;
  const barrier = new StepBarrier(init.barrier, participants);
  const shard = new ClassifierShardStep(model, trained, optimizer, init.running.map(variable), init.loss, init.buffers, {
    index: worker.index + 1,
    count: participants,
    arrive: () => barrier.arrive(),
  }, extra?.loss ?? null);
  return {
    async call(kind, payload) {
      switch (kind) {
        case 'step':
        case 'gradient': {
          const { count, lr, seed, batch } = payload as ClassifierStepCall;
          if (batch) shard.useBatch(batch);
          try {
            return await (kind === 'step' ? shard.step(count, lr, seed) : shard.gradientOf(count, seed));
          } catch (e) {
            barrier.fail();
            throw e;
          }
        }
        case 'load':
          shard.loadWeights();
          return null;
        default:
          throw new Error(`unknown classifier task call "${kind}"`);
      }
    },
    dispose() {
      extra?.dispose();
      optimizer?.dispose();
      model.dispose();
    },
  };
}

/** The worker's copy of a defense's extra loss, from the factory its module exports. */
async function buildExtraLoss(module: { readonly url: string; readonly exportName: string }, init: unknown, model: GraphModel): Promise<WorkerExtraLoss> {
  const exports = (await import(module.url)) as Record<string, ExtraLossFactory>;
  const factory = exports[module.exportName];
  if (typeof factory !== 'function') throw new Error(`${module.url} exports no extra-loss factory "${module.exportName}"`);
  return factory(init, model);
}
