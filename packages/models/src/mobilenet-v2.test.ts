import * as tf from '@tensorflow/tfjs-core';
import { initBackend, nodeOutputShapes } from '@qcb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildArchitecture, makeDivisible, mobilenetV2 } from './index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('mobilenet-v2', () => {
  it('has the parameter count of Keras MobileNetV2 at 224x224x3 with 1,000 classes (alpha 1 and 1.4) and predicts', () => {
    const m = mobilenetV2({ inputShape: [224, 224, 3], classes: 1000 });
    expect(m.paramCounts()).toEqual({ total: 3_538_984, trainable: 3_504_872 });
    tf.tidy(() => {
      expect(m.predict(tf.zeros([1, 224, 224, 3])).shape).toEqual([1, 1000]);
    });
    m.dispose();
    const wide = mobilenetV2({ inputShape: [224, 224, 3], classes: 1000, width: 1.4 });
    expect(wide.paramCounts().total).toBe(6_156_712);
    wide.dispose();
  });

  it('is 17 inverted residual blocks: 17 depthwise convs, 10 residual adds, 53 units, ReLU6 after expansions and depthwise convs', () => {
    const m = mobilenetV2({ inputShape: [32, 32, 3], width: 0.35 });
    const ops = m.graph.nodes.map((n) => n.op);
    expect(ops.filter((o) => o === 'depthwiseConv2d')).toHaveLength(17);
    expect(ops.filter((o) => o === 'add')).toHaveLength(10);
    expect(m.paramCounts()).toEqual({ total: 423_018, trainable: 408_938 });
    const units = m.units();
    expect(units).toHaveLength(53);
    const byHead = new Map(units.map((u) => [u.head, u.nodes]));
    expect(byHead.get('block0_depthwise')).toEqual(['block0_depthwise', 'block0_depthwise_bn', 'block0_depthwise_relu']);
    expect(byHead.get('block2_expand')).toEqual(['block2_expand', 'block2_expand_bn', 'block2_expand_relu']);
    // The projection is linear and ends before the residual add.
    expect(byHead.get('block2_project')).toEqual(['block2_project', 'block2_project_bn']);
    expect(m.node('block2_expand_relu').attrs).toEqual({ kind: 'relu', maxValue: 6, negativeSlope: 0, threshold: 0 });
    tf.tidy(() => {
      const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 1);
      const y = m.predict(x);
      expect(y.shape).toEqual([2, 10]);
      expect(tf.max(m.outputsOf(x, ['block2_expand_relu'])[0]).dataSync()[0]).toBeLessThanOrEqual(6);
    });
    m.dispose();
  });

  it('rounds channels as Keras does and keeps the resolution for small inputs (output stride 16 below 96 px)', () => {
    expect([32 * 0.35, 16 * 0.35, 24 * 0.35, 64 * 0.35, 96 * 0.35].map((v) => makeDivisible(v))).toEqual([16, 8, 8, 24, 32]);
    const last = (m: ReturnType<typeof mobilenetV2>): number[] => nodeOutputShapes(m).get('head_relu')!;
    for (const [options, shape] of [
      [{ inputShape: [28, 28, 1] }, [2, 2, 1280]],
      [{ inputShape: [28, 28, 1], outputStride: 8 }, [4, 4, 1280]],
      [{ inputShape: [32, 32, 3], outputStride: 32 }, [1, 1, 1280]],
      [{ inputShape: [96, 96, 3], width: 0.35 }, [3, 3, 1280]],
    ] as const) {
      const m = mobilenetV2({ ...options, width: 'width' in options ? options.width : 0.35 });
      expect(last(m)).toEqual(shape);
      m.dispose();
    }
  });

  it('takes a width multiplier by name through buildArchitecture and refuses a non-positive one', () => {
    const m = buildArchitecture('mobilenet-v2', { inputShape: [28, 28, 1], width: 0.5, classes: 4 });
    expect(m.node('stem_conv').params['kernel'].shape).toEqual([3, 3, 1, 16]);
    expect(m.node('logits').params['kernel'].shape).toEqual([1280, 4]);
    m.dispose();
    expect(() => mobilenetV2({ width: 0 })).toThrow(/width multiplier must be positive/);
  });

  it('trains a step in training mode (BN batch statistics) and leaks no tensor', () => {
    const m = mobilenetV2({ inputShape: [16, 16, 1], width: 0.35, classes: 3 });
    const vars = m.variables();
    const x = tf.randomNormal([4, 16, 16, 1], 0, 1, 'float32', 2);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.mean(tf.square(m.predict(x, { training: true }))) as tf.Scalar, vars);
        expect(tf.max(tf.abs(grads[m.node('block5_depthwise').params['depthwiseKernel'].name])).dataSync()[0]).toBeGreaterThan(0);
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    m.dispose();
  });
});
