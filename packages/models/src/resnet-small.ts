import { GraphBuilder, GraphModel } from '@qcb/core';
import { basicBlock } from './basic-block.js';

export interface ResNetSmallOptions {
  /** Input shape without batch, default [28, 28, 1] (Fashion-MNIST). */
  readonly inputShape?: readonly number[];
  readonly classes?: number;
  /** Channels of the three stages, default [16, 32, 64]. */
  readonly widths?: readonly [number, number, number];
  /** Multiplies every stage's channels (after `widths`), default 1. */
  readonly width?: number;
  /** Basic blocks per stage, default 1. */
  readonly blocksPerStage?: number;
  readonly seed?: number;
}

/**
 * A small CIFAR-style ResNet for 28x28 inputs: a 3x3 stem, three stages of basic blocks
 * (the second and third halve the resolution), global average pooling and a dense head.
 * With the defaults it has about 78k parameters.
 */
export function resnetSmall(options: ResNetSmallOptions = {}): GraphModel {
  const multiplier = options.width ?? 1;
  const widths = (options.widths ?? [16, 32, 64]).map((w) => Math.max(1, Math.round(w * multiplier)));
  const blocks = options.blocksPerStage ?? 1;
  const b = new GraphBuilder('resnet_small', options.inputShape ?? [28, 28, 1], { seed: options.seed ?? 1 });
  let x = b.input('input');
  x = b.conv2d(x, { filters: widths[0], kernelSize: 3, useBias: false, name: 'stem_conv' });
  x = b.batchNorm(x, { name: 'stem_bn' });
  x = b.relu(x, 'stem_relu');
  widths.forEach((w, stage) => {
    for (let i = 0; i < blocks; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      x = basicBlock(b, x, w, stride, `stage${stage + 1}_block${i + 1}`);
    }
  });
  x = b.globalAvgPool(x, 'gap');
  x = b.dense(x, { units: options.classes ?? 10, name: 'logits' });
  return new GraphModel(b.build(x));
}
