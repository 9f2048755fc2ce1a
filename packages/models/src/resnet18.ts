import { GraphBuilder, GraphModel } from '@qcb/core';
import { basicBlock } from './basic-block.js';

export interface ResNet18Options {
  /** Input shape without batch, default [32, 32, 3] (CIFAR-10). */
  readonly inputShape?: readonly number[];
  readonly classes?: number;
  /** Width of the first stage, default 64; later stages double it. */
  readonly width?: number;
  readonly seed?: number;
}

/**
 * CIFAR-style ResNet-18 (the paper's main architecture): a 3x3 stem without pooling, four
 * stages of two basic blocks (64, 128, 256, 512 channels; stages 2-4 halve the
 * resolution), global average pooling and a dense head.
 */
export function resnet18(options: ResNet18Options = {}): GraphModel {
  const w = options.width ?? 64;
  const b = new GraphBuilder('resnet18', options.inputShape ?? [32, 32, 3], { seed: options.seed ?? 1 });
  let x = b.input('input');
  x = b.conv2d(x, { filters: w, kernelSize: 3, useBias: false, name: 'stem_conv' });
  x = b.batchNorm(x, { name: 'stem_bn' });
  x = b.relu(x, 'stem_relu');
  [w, 2 * w, 4 * w, 8 * w].forEach((filters, stage) => {
    for (let i = 0; i < 2; i++) {
      x = basicBlock(b, x, filters, stage > 0 && i === 0 ? 2 : 1, `stage${stage + 1}_block${i + 1}`);
    }
  });
  x = b.globalAvgPool(x, 'gap');
  return new GraphModel(b.build(b.dense(x, { units: options.classes ?? 10, name: 'logits' })));
}
