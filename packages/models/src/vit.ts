import { GraphBuilder, GraphModel, QcbError } from '@qcb/core';

export interface VitOptions {
  /** Input shape without batch, default [28, 28, 1]. */
  readonly inputShape?: readonly number[];
  readonly classes?: number;
  /** Side of the square patches; default 16 for inputs of 96 px or more, else 4. Must divide the input's height and width. */
  readonly patchSize?: number;
  /** Token width, default 64 (times `width`). */
  readonly dim?: number;
  /** Multiplies `dim` (rounded to a multiple of `heads`), default 1. */
  readonly width?: number;
  /** Transformer blocks, default 4. */
  readonly depth?: number;
  /** Attention heads, default 4; must divide the token width. */
  readonly heads?: number;
  /** Hidden width of each MLP over the token width, default 2. */
  readonly mlpRatio?: number;
  readonly seed?: number;
}

/**
 * A pre-norm transformer block: x + proj(attention(qkv(LN(x)))), then x + fc2(GELU(fc1(LN(x)))).
 * The attention is a weightless node after one fused q/k/v dense (ops/qkv-attention.ts in
 * @qcb/core), so every weight sits in an ordinary dense layer.
 */
function transformerBlock(b: GraphBuilder, x: string, dim: number, heads: number, hidden: number, prefix: string): string {
  let y = b.layerNorm(x, { name: `${prefix}_ln1` });
  y = b.dense(y, { units: 3 * dim, init: 'glorot-normal', name: `${prefix}_qkv` });
  y = b.qkvAttention(y, heads, `${prefix}_attention`);
  y = b.dense(y, { units: dim, init: 'glorot-normal', name: `${prefix}_proj` });
  const attended = b.add([x, y], `${prefix}_add1`);
  let z = b.layerNorm(attended, { name: `${prefix}_ln2` });
  z = b.dense(z, { units: hidden, init: 'glorot-normal', name: `${prefix}_fc1` });
  z = b.activation(z, 'gelu', `${prefix}_gelu`);
  z = b.dense(z, { units: dim, init: 'glorot-normal', name: `${prefix}_fc2` });
  return b.add([attended, z], `${prefix}_add2`);
}

/**
 * A small Vision Transformer (Dosovitskiy et al. 2021): non-overlapping patches embedded by
 * a conv with kernel = stride = patch size, flattened to tokens, a learned position
 * embedding added, `depth` pre-norm transformer blocks, a final LayerNormalization, global
 * average pooling over the tokens (in place of a class token) and a dense head (logits).
 */
export function vit(options: VitOptions = {}): GraphModel {
  const inputShape = options.inputShape ?? [28, 28, 1];
  const [h, w] = inputShape;
  const patch = options.patchSize ?? (Math.min(h, w) >= 96 ? 16 : 4);
  const heads = options.heads ?? 4;
  const multiplier = options.width ?? 1;
  const dim = Math.max(heads, Math.round(((options.dim ?? 64) * multiplier) / heads) * heads);
  const depth = options.depth ?? 4;
  if (h % patch !== 0 || w % patch !== 0) {
    throw new QcbError('E_USAGE', `vit: patch size ${patch} does not divide the ${h}x${w} input`);
  }
  if (!(multiplier > 0)) throw new QcbError('E_USAGE', `vit: the width multiplier must be positive, got ${multiplier}`);
  const b = new GraphBuilder('vit', inputShape, { seed: options.seed ?? 1 });
  let x = b.input('input');
  x = b.conv2d(x, { filters: dim, kernelSize: patch, strides: patch, padding: 'valid', name: 'patch_embed' });
  x = b.reshape(x, [(h / patch) * (w / patch), dim], 'tokens');
  x = b.positionEmbedding(x, { name: 'position_embedding' });
  for (let i = 0; i < depth; i++) {
    x = transformerBlock(b, x, dim, heads, Math.round(dim * (options.mlpRatio ?? 2)), `block${i}`);
  }
  x = b.layerNorm(x, { name: 'final_ln' });
  x = b.globalAvgPool(x, 'gap');
  return new GraphModel(b.build(b.dense(x, { units: options.classes ?? 10, init: 'glorot-normal', name: 'logits' })));
}
