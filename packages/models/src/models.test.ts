import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@qcb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { architectures, buildArchitecture, resnetSmall } from './index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('model zoo', () => {
  it('resnet-small has about 80k parameters, BN, residual adds and 9 conv units + a dense head', () => {
    const m = resnetSmall();
    expect(m.paramCounts().total).toBe(78426);
    expect(m.graph.nodes.filter((n) => n.op === 'add')).toHaveLength(3);
    expect(m.units()).toHaveLength(10);
    m.dispose();
  });

  for (const arch of architectures()) {
    it(`${arch} builds for 28x28x1 and 32x32x3 inputs and produces logits`, () => {
      for (const inputShape of [[28, 28, 1], [32, 32, 3]]) {
        const m = buildArchitecture(arch, { inputShape, classes: 10 });
        tf.tidy(() => {
          const out = m.predict(tf.zeros([2, ...inputShape]));
          expect(out.shape).toEqual([2, 10]);
        });
        m.dispose();
      }
    });
  }

  it('resnet-small, vgg-bn and alexnet take a width multiplier; resnet18 refuses one', () => {
    const wide = buildArchitecture('resnet-small', { width: 2 });
    expect(wide.node('stem_conv').params['kernel'].shape).toEqual([3, 3, 1, 32]);
    expect(wide.node('logits').params['kernel'].shape).toEqual([128, 10]);
    wide.dispose();
    const vgg = buildArchitecture('vgg-bn', { width: 0.5, inputShape: [28, 28, 1] });
    expect(vgg.node('conv1').params['kernel'].shape).toEqual([3, 3, 1, 32]);
    expect(vgg.node('logits').params['kernel'].shape).toEqual([256, 10]);
    vgg.dispose();
    const alex = buildArchitecture('alexnet', { width: 0.5, inputShape: [28, 28, 1] });
    expect(alex.node('conv2').params['kernel'].shape).toEqual([5, 5, 32, 64]);
    expect(alex.node('fc2').params['kernel'].shape).toEqual([256, 128]);
    alex.dispose();
    expect(() => buildArchitecture('resnet18', { width: 2 })).toThrow(/takes no width multiplier/);
  });

  it('is seeded', () => {
    const a = resnetSmall({ seed: 4 });
    const b = resnetSmall({ seed: 4 });
    const c = resnetSmall({ seed: 5 });
    const k = (m: ReturnType<typeof resnetSmall>) => Array.from(m.node('stem_conv').params['kernel'].dataSync());
    expect(k(a)).toEqual(k(b));
    expect(k(a)).not.toEqual(k(c));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('rejects an unknown architecture by name', () => {
    expect(() => buildArchitecture('lenet')).toThrow(/unknown architecture "lenet" \(available: resnet-small, resnet18, vgg-bn, alexnet, mobilenet-v2, vit\)/);
  });
});
