import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadModel, saveModel } from '@qcb/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildResNetStyleModel, buildSequentialModel, loadLayersModel, saveLayersModel } from '../helpers/tfjs-layers.js';

let dir: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'qcb-roundtrip-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('layers format <-> graph IR', () => {
  it('a functional ResNet-style model gives the same outputs in tfjs-layers and the IR, and after export', async () => {
    const original = buildResNetStyleModel();
    await saveLayersModel(original, join(dir, 'resnet'));
    const { model } = await loadModel(join(dir, 'resnet'));
    expect(model.units().map((u) => u.head)).toEqual(['stem', 'block_conv1', 'block_dw', 'down', 'logits']);

    const x = tf.randomNormal([4, 12, 12, 3], 0, 1, 'float32', 11);
    const expected = original.predict(x) as tf.Tensor;
    const actual = model.predict(x);
    expect(actual.shape).toEqual([4, 5]);
    expect(maxAbsDiff(expected, actual)).toBeLessThan(1e-4);

    await saveModel(join(dir, 'exported'), model);
    const reloaded = await loadLayersModel(join(dir, 'exported'));
    const again = reloaded.predict(x) as tf.Tensor;
    expect(maxAbsDiff(expected, again)).toBeLessThan(1e-4);

    const { model: reimported } = await loadModel(join(dir, 'exported'));
    expect(maxAbsDiff(expected, reimported.predict(x))).toBeLessThan(1e-5);
    tf.dispose([x, expected, actual, again]);
    model.dispose();
    reimported.dispose();
    original.dispose();
    reloaded.dispose();
  });

  it('a Sequential model imports with its implicit input', async () => {
    const original = buildSequentialModel();
    await saveLayersModel(original, join(dir, 'seq'));
    const { model } = await loadModel(join(dir, 'seq'));
    expect(model.inputShape).toEqual([8, 8, 1]);
    const x = tf.randomUniform([3, 8, 8, 1], 0, 1, 'float32', 5);
    expect(maxAbsDiff(original.predict(x) as tf.Tensor, model.predict(x))).toBeLessThan(1e-5);
    model.dispose();
    original.dispose();
  });
});
