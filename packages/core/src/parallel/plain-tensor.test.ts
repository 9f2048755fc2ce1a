import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useThreads } from '../../../../test/helpers/threads.js';
import { initBackend } from '../runtime/backend.js';
import { movableBuffers, toPlainTensor, type PlainTensor } from './plain-tensor.js';
import { StepPool } from './step-pool.js';

const TASK = { url: new URL('./testing/plain-echo-task.mjs', import.meta.url).href, exportName: 'createPlainEchoTask' };

useThreads();

describe('plain tensors', () => {
  it('hold a copy of the values on the cpu backend too, whose dataSync returns its own store', async () => {
    await initBackend('cpu');
    try {
      const t = tf.tensor([1, 2, 3]);
      const p = toPlainTensor(t);
      p.values[0] = 9;
      expect(Array.from(t.dataSync())).toEqual([1, 2, 3]);
      t.dispose();
    } finally {
      await initBackend('wasm');
    }
  });

  it('give their buffers for a transfer list, each once, and no other array', () => {
    const a = tf.tensor([1, 2]);
    const b = tf.tensor([3]);
    const pa = toPlainTensor(a);
    const pb = toPlainTensor(b);
    const foreign = new Float32Array(4);
    const buffers = movableBuffers({ pieces: [pa, pb, pa], other: { deep: [[pb]] }, foreign, shared: new Float32Array(new SharedArrayBuffer(8)) });
    expect(buffers).toEqual([pa.values.buffer, pb.values.buffer]);
    expect(movableBuffers(null)).toEqual([]);
    tf.dispose([a, b]);
  });
});

describe('a pool moves plain tensors', () => {
  it('to the one worker whose init holds them, clones what several inits hold, and moves a worker result back', async () => {
    const pool = (await StepPool.start(2))!;
    expect(pool).not.toBeNull();
    try {
      const common = toPlainTensor(tf.tidy(() => tf.fill([1000], 1)));
      const own = [1, 2].map((v) => toPlainTensor(tf.tidy(() => tf.fill([1000], v))));
      await pool.setup(TASK, (i) => ({ plain: [own[i], common] }), 1);
      expect(await pool.call('sums', () => null)).toEqual([[1000, 1000], [2000, 1000]]);
      // Each worker's own array moved to it (detached here); the common one was cloned.
      expect(own.map((p) => p.values.length)).toEqual([0, 0]);
      expect(common.values.length).toBe(1000);
      const twice = (await pool.call('twice', () => null)) as PlainTensor[];
      expect(twice.map((p) => [p.shape, p.values[0], p.values.length])).toEqual([[[1000], 2, 1000], [[1000], 4, 1000]]);
    } finally {
      await pool.close();
    }
  });
});
