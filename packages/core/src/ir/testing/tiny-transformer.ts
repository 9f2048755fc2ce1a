import { GraphBuilder } from '../builder.js';
import { GraphModel } from '../graph-model.js';

/**
 * A tiny pre-norm transformer for tests: 4x4 patches of an 8x8 image as 4 tokens of width 8,
 * a position embedding, one block (attention with 2 heads, a GELU MLP), LN, mean pooling
 * over the tokens and a dense head.
 */
export function tinyTransformerModel(seed = 1, classes = 3): GraphModel {
  const b = new GraphBuilder('tiny_transformer', [8, 8, 1], { seed });
  let x = b.input();
  x = b.conv2d(x, { filters: 8, kernelSize: 4, strides: 4, padding: 'valid', name: 'patch' });
  x = b.reshape(x, [4, 8], 'tokens');
  x = b.positionEmbedding(x, { std: 0.5, name: 'pos' });
  let y = b.layerNorm(x, { name: 'ln1' });
  y = b.dense(y, { units: 24, init: 'glorot-normal', name: 'qkv' });
  y = b.qkvAttention(y, 2, 'attention');
  y = b.dense(y, { units: 8, init: 'glorot-normal', name: 'proj' });
  const attended = b.add([x, y], 'add1');
  let z = b.layerNorm(attended, { name: 'ln2' });
  z = b.dense(z, { units: 16, init: 'glorot-normal', name: 'fc1' });
  z = b.activation(z, 'gelu', 'gelu');
  z = b.dense(z, { units: 8, init: 'glorot-normal', name: 'fc2' });
  const out = b.add([attended, z], 'add2');
  const pooled = b.globalAvgPool(b.layerNorm(out, { name: 'ln_final' }), 'gap');
  return new GraphModel(b.build(b.dense(pooled, { units: classes, name: 'logits' })));
}
