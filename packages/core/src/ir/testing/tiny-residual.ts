import { GraphBuilder } from '../builder.js';
import { GraphModel } from '../graph-model.js';

/** A tiny residual network for tests: stem, one block with a residual add, pooled dense head. */
export function tinyResidualModel(seed = 1, inputShape: readonly number[] = [8, 8, 1]): GraphModel {
  const b = new GraphBuilder('tiny', inputShape, { seed });
  let x = b.input();
  x = b.conv2d(x, { filters: 4, kernelSize: 3, useBias: false, name: 'stem' });
  x = b.batchNorm(x, { name: 'stem_bn' });
  x = b.relu(x, 'stem_relu');
  let y = b.conv2d(x, { filters: 4, kernelSize: 3, name: 'conv1' });
  y = b.batchNorm(y, { name: 'bn1' });
  y = b.relu(y, 'relu1');
  y = b.conv2d(y, { filters: 4, kernelSize: 3, strides: 1, name: 'conv2' });
  y = b.batchNorm(y, { name: 'bn2' });
  const sum = b.add([y, x], 'add');
  const out = b.relu(sum, 'out_relu');
  const pooled = b.globalAvgPool(out, 'gap');
  return new GraphModel(b.build(b.dense(pooled, { units: 3, name: 'logits' })));
}
