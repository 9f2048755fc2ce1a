import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../runtime/backend.js';
import { groupedShards } from './classifier-shard-step.js';
import { composedPerShard } from './composed-per-shard.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('a batch composed shard by shard', () => {
  it('lays out [clean_s; triggered_s] per shard, which groupedShards splits at the same rows', () => {
    const pairs = (x: tf.Tensor4D, y: tf.Tensor1D) => ({ x: tf.concat([x, tf.neg(x)]) as tf.Tensor4D, y: tf.concat([y, tf.add(y, 100)]) as tf.Tensor1D });
    const x = tf.tensor4d([1, 2, 3, 4, 5], [5, 1, 1, 1]);
    const y = tf.tensor1d([1, 2, 3, 4, 5], 'int32');
    const tensors = tf.memory().numTensors;
    const out = composedPerShard(pairs, 2, 2)(x, y, { epoch: 0, step: 0 });
    expect(Array.from(out.x.dataSync())).toEqual([1, 2, 3, -1, -2, -3, 4, 5, -4, -5]);
    expect(Array.from(out.y.dataSync())).toEqual([1, 2, 3, 101, 102, 103, 4, 5, 104, 105]);
    expect(groupedShards(10, 2, 2)).toEqual([{ start: 0, size: 6 }, { start: 6, size: 4 }]);
    expect(tf.memory().numTensors).toBe(tensors + 2);
    expect(() => composedPerShard((a, b) => ({ x: tf.clone(a), y: tf.clone(b) }), 2, 2)(x, y, { epoch: 0, step: 0 })).toThrow('a composed shard of 3 images has 3 rows, not 6');
    expect(() => groupedShards(5, 2, 2)).toThrow('not whole groups of 2');
    expect(tf.memory().numTensors).toBe(tensors + 2);
    tf.dispose([x, y, out.x, out.y]);
  });
});
