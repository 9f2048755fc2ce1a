import '../tfjs-setup.js';
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend, type BackendChoice } from '../runtime/backend.js';
import { movableBuffers } from './plain-tensor.js';
import type { ParallelTask, ParallelTaskFactory, WorkerReply, WorkerRequest } from './task.js';

// Worker entry of a StepPool: its own tfjs engine on the parent's backend (one thread each),
// one task at a time (the pool says at setup which worker of how many this one is),
// requests answered in order.
const { backend } = workerData as { backend: BackendChoice };
let task: ParallelTask | null = null;
let gradient: Float32Array = new Float32Array(0);
const ready = initBackend(backend);

async function answer(req: WorkerRequest): Promise<unknown> {
  await ready;
  switch (req.type) {
    case 'setup': {
      task?.dispose();
      task = null;
      const module = (await import(req.task.url)) as Record<string, ParallelTaskFactory>;
      const factory = module[req.task.exportName];
      if (typeof factory !== 'function') throw new Error(`${req.task.url} exports no task factory "${req.task.exportName}"`);
      gradient = new Float32Array(req.gradient);
      task = await factory(req.init, { index: req.index, count: req.count });
      return null;
    }
    case 'call':
      if (!task) throw new Error('the pool worker has no task');
      return task.call(req.kind, req.payload, gradient);
    case 'dispose':
      task?.dispose();
      task = null;
      return null;
    case 'tensors':
      return tf.memory().numTensors;
  }
}

// Requests arrive one at a time (the pool awaits every reply), so a chain keeps them in order.
let chain: Promise<void> = Promise.resolve();
parentPort?.on('message', (req: WorkerRequest) => {
  chain = chain.then(async () => {
    let reply: WorkerReply;
    try {
      reply = { ok: true, result: await answer(req) };
    } catch (e) {
      reply = { ok: false, message: e instanceof Error ? e.message : String(e) };
    }
    // A result's plain tensors are fresh copies: moved, not cloned (plain-tensor.ts).
    parentPort?.postMessage(reply, reply.ok ? movableBuffers(reply.result) : []);
  });
});
