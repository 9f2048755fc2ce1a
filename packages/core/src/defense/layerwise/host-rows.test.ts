import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../runtime/backend.js';
import { HostRows } from './host-rows.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('host rows', () => {
  it('hold the pieces in order and give the rows tf.gather and tf.slice give, leaving no tensor behind', () => {
    const pieces = [tf.randomNormal([3, 4, 4, 2], 0, 1, 'float32', 1), tf.randomNormal([5, 4, 4, 2], 0, 1, 'float32', 2)];
    const whole = tf.concat(pieces);
    const before = tf.memory().numTensors;
    const rows = HostRows.fromTensors(pieces);
    expect(rows.shape).toEqual([8, 4, 4, 2]);
    expect(rows.count).toBe(8);
    expect(rows.rowSize).toBe(32);
    const picked = [7, 0, 3, 3, 5];
    const [a, b] = [rows.gather(picked), tf.gather(whole, picked)];
    expect(a.shape).toEqual(b.shape);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const [c, d] = [rows.slice(6, 4), tf.slice(whole, 6, 2)];
    expect(c.shape).toEqual([2, 4, 4, 2]);
    expect(Array.from(c.dataSync())).toEqual(Array.from(d.dataSync()));
    tf.dispose([a, b, c, d]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => rows.gather([8])).toThrow(RangeError);
    tf.dispose([...pieces, whole]);
  });

  it('live in a SharedArrayBuffer when asked, readable in place by another view', () => {
    const piece = tf.tensor2d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [3, 4]);
    const rows = HostRows.fromTensors([piece], { shared: true });
    expect(rows.values.buffer).toBeInstanceOf(SharedArrayBuffer);
    const view = new HostRows(new Float32Array(rows.values.buffer), [3, 4]);
    const second = view.gather([1]);
    expect(Array.from(second.dataSync())).toEqual([4, 5, 6, 7]);
    tf.dispose([piece, second]);
    expect(() => new HostRows(new Float32Array(5), [3, 2])).toThrow(/need 6 values/);
  });

  it('give tensors that keep their values when later rows are gathered or the cache changes, on wasm and on cpu', async () => {
    for (const backend of ['wasm', 'cpu'] as const) {
      await initBackend(backend);
      const rows = new HostRows(Float32Array.from({ length: 12 }, (_, i) => i), [3, 4]);
      const first = rows.gather([2, 0]);
      const second = rows.gather([1]);
      const sliced = rows.slice(1, 1);
      rows.values.fill(-1);
      expect(Array.from(first.dataSync())).toEqual([8, 9, 10, 11, 0, 1, 2, 3]);
      expect(Array.from(second.dataSync())).toEqual([4, 5, 6, 7]);
      expect(Array.from(sliced.dataSync())).toEqual([4, 5, 6, 7]);
      tf.dispose([first, second, sliced]);
    }
    await initBackend('wasm');
  });
});
