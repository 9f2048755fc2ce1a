import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyResidualModel } from './testing/tiny-residual.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('calibration units', () => {
  it('group each conv/dense with its chain up to the next conv/dense or add', () => {
    const model = tinyResidualModel();
    expect(model.units().map((u) => ({ head: u.head, nodes: u.nodes, input: u.input, output: u.output }))).toEqual([
      { head: 'stem', nodes: ['stem', 'stem_bn', 'stem_relu'], input: 'input', output: 'stem_relu' },
      { head: 'conv1', nodes: ['conv1', 'bn1', 'relu1'], input: 'stem_relu', output: 'relu1' },
      { head: 'conv2', nodes: ['conv2', 'bn2'], input: 'relu1', output: 'bn2' },
      { head: 'logits', nodes: ['logits'], input: 'gap', output: 'logits' },
    ]);
    model.dispose();
  });
});

describe('executor', () => {
  it('runs up to any node, runs one unit alone, and taps node inputs and outputs', () => {
    const model = tinyResidualModel();
    tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 3);
      const [relu1, bn2, logits] = model.outputsOf(x, ['relu1', 'bn2', 'logits']);
      const unit = model.units()[2];
      const alone = model.runUnit(unit, relu1);
      expect(tf.max(tf.abs(tf.sub(alone, bn2))).dataSync()[0]).toBe(0);
      expect(tf.max(tf.abs(tf.sub(model.predict(x), logits))).dataSync()[0]).toBe(0);

      const seen: string[] = [];
      model.runUnit(unit, relu1, { tap: (node) => seen.push(node.name) });
      expect(seen).toEqual(['conv2', 'bn2']);
    });
    model.dispose();
  });

  it('applies a transform to parameters and node inputs', () => {
    const model = tinyResidualModel();
    tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 4);
      const zeroKernels = model.predict(x, { transform: { param: (node, name, v) => (node.op === 'dense' && name === 'kernel' ? tf.zerosLike(v) : v) } });
      // With a zero kernel the logits are the bias (zeros at init).
      expect(tf.max(tf.abs(zeroKernels)).dataSync()[0]).toBe(0);
      const scaledInput = model.predict(x, { transform: { inputs: (node, ins) => (node.op === 'input' ? ins.map((t) => tf.mul(t, 0)) : ins) } });
      const zeroImage = model.predict(tf.zerosLike(x));
      expect(tf.max(tf.abs(tf.sub(scaledInput, zeroImage))).dataSync()[0]).toBe(0);
    });
    model.dispose();
  });

  it('trains any subset of parameters', () => {
    const model = tinyResidualModel();
    const only = model.variables((node, p) => node.name === 'conv1' && p === 'kernel');
    expect(only).toHaveLength(1);
    const before = model.variables().map((v) => v.dataSync().slice());
    const optimizer = tf.train.sgd(0.1);
    tf.tidy(() => {
      const x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 5);
      optimizer.minimize(() => tf.mean(tf.square(model.predict(x))) as tf.Scalar, false, only);
    });
    const after = model.variables().map((v) => v.dataSync());
    const changed = model.variables().map((v, i) => after[i].some((a, j) => a !== before[i][j]));
    expect(changed.filter(Boolean)).toHaveLength(1);
    expect(changed[model.variables().indexOf(only[0])]).toBe(true);
    optimizer.dispose();
    model.dispose();
  });

  it('updates BN moving statistics only in training mode', () => {
    const model = tinyResidualModel();
    const mm = model.node('bn1').params['movingMean'];
    const before = mm.dataSync().slice();
    tf.tidy(() => {
      const x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 6);
      model.predict(x);
      expect(Array.from(mm.dataSync())).toEqual(Array.from(before));
      model.predict(x, { training: true, updateStats: false });
      expect(Array.from(mm.dataSync())).toEqual(Array.from(before));
      model.predict(x, { training: true });
    });
    expect(Array.from(mm.dataSync())).not.toEqual(Array.from(before));
    model.dispose();
  });

  it('counts parameters', () => {
    const model = tinyResidualModel();
    // stem 36, conv1 144+4, conv2 144+4, dense 12+3; BN: 3 x 4 x (2 trainable + 2 frozen)
    expect(model.paramCounts()).toEqual({ total: 36 + 148 + 148 + 15 + 48, trainable: 36 + 148 + 148 + 15 + 24 });
    model.dispose();
  });
});
