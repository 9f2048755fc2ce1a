import * as tf from '@tensorflow/tfjs-core';
import { initBackend, nodeOutputShapes } from '@qcb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildArchitecture, vit } from './index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('vit', () => {
  it('embeds 4x4 patches of a 28x28x1 image as 49 tokens of width 64 and has 138,890 parameters by default', () => {
    const m = vit();
    expect(m.paramCounts()).toEqual({ total: 138_890, trainable: 138_890 });
    const shapes = nodeOutputShapes(m);
    expect(shapes.get('tokens')).toEqual([49, 64]);
    expect(shapes.get('block0_qkv')).toEqual([49, 192]);
    expect(shapes.get('block3_add2')).toEqual([49, 64]);
    expect(shapes.get('gap')).toEqual([64]);
    expect(m.graph.nodes.filter((n) => n.op === 'qkvAttention')).toHaveLength(4);
    expect(m.graph.nodes.some((n) => n.op === 'batchNorm')).toBe(false);
    tf.tidy(() => {
      expect(m.predict(tf.zeros([3, 28, 28, 1])).shape).toEqual([3, 10]);
    });
    m.dispose();
  });

  it('has one unit per dense layer: q/k/v with its attention, projection, MLP with GELU, second MLP dense; the patch embedding with its position table', () => {
    const m = vit({ inputShape: [16, 16, 1], dim: 16, depth: 2, heads: 2 });
    const units = m.units().map((u) => u.nodes);
    expect(units).toEqual([
      ['patch_embed', 'tokens', 'position_embedding'],
      ['block0_qkv', 'block0_attention'], ['block0_proj'], ['block0_fc1', 'block0_gelu'], ['block0_fc2'],
      ['block1_qkv', 'block1_attention'], ['block1_proj'], ['block1_fc1', 'block1_gelu'], ['block1_fc2'],
      ['logits'],
    ]);
    expect(m.units()[1].input).toBe('block0_ln1');
    m.dispose();
  });

  it('uses 16x16 patches at 224x224x3 and takes patch size, depth, heads and width', () => {
    const big = vit({ inputShape: [224, 224, 3] });
    expect(nodeOutputShapes(big).get('tokens')).toEqual([196, 64]);
    expect(big.paramCounts().total).toBe(196_426);
    big.dispose();
    const custom = buildArchitecture('vit', { inputShape: [32, 32, 3], width: 2, classes: 5 });
    expect(custom.node('patch_embed').params['kernel'].shape).toEqual([4, 4, 3, 128]);
    custom.dispose();
    const deep = vit({ patchSize: 7, depth: 1, heads: 3, dim: 30, mlpRatio: 4 });
    expect(deep.node('block0_fc1').params['kernel'].shape).toEqual([30, 120]);
    expect(nodeOutputShapes(deep).get('tokens')).toEqual([16, 30]);
    deep.dispose();
    expect(() => vit({ patchSize: 5 })).toThrow(/patch size 5 does not divide the 28x28 input/);
  });
});
