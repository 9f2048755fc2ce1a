import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../runtime/backend.js';
import { Adam, Sgd } from './index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('optimizer state', () => {
  it('reloads saved slots exactly and leaks no tensor doing so', async () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]));
    const sgd = new Sgd([w], { type: 'sgd', momentum: 0.9 }, ['w']);
    const adam = new Adam([w], { type: 'adam' }, ['w']);
    tf.tidy(() => {
      sgd.step([tf.tensor1d([0.5, -1, 2])], 0.1);
      adam.step([tf.tensor1d([0.5, -1, 2])], 0.1);
    });
    const saved = [...(await sgd.state()), ...(await adam.state())];
    const sgd2 = new Sgd([w], { type: 'sgd', momentum: 0.9 }, ['w']);
    const adam2 = new Adam([w], { type: 'adam' }, ['w']);
    const before = tf.memory().numTensors;
    sgd2.loadState(saved);
    adam2.loadState(saved);
    expect(tf.memory().numTensors).toBe(before);
    expect([...(await sgd2.state()), ...(await adam2.state())]).toEqual(saved);
    [sgd, adam, sgd2, adam2].forEach((o) => o.dispose());
    w.dispose();
  });
});
