import { GraphBuilder, GraphModel, QcbError } from '@qcb/core';

export interface AlexNetOptions {
  readonly inputShape?: readonly number[];
  readonly classes?: number;
  /** Multiplies every layer's channels and hidden units (rounded, at least 8); default 1. */
  readonly width?: number;
  readonly seed?: number;
}

/**
 * An AlexNet-style network for small images, without batch normalisation (the paper's
 * non-BN case, where PDA has nothing to match): five convolutions with ReLU and three max
 * pools, then two hidden dense layers with dropout.
 */
export function alexnet(options: AlexNetOptions = {}): GraphModel {
  const width = options.width ?? 1;
  if (!(width > 0)) throw new QcbError('E_USAGE', `alexnet: the width multiplier must be positive, got ${width}`);
  const w = (n: number): number => Math.max(8, Math.round(n * width));
  const b = new GraphBuilder('alexnet', options.inputShape ?? [32, 32, 3], { seed: options.seed ?? 1 });
  let x = b.input('input');
  x = b.conv2d(x, { filters: w(64), kernelSize: 5, activation: 'relu', name: 'conv1' });
  x = b.maxPool(x, 2, 2, 'valid', 'pool1');
  x = b.conv2d(x, { filters: w(128), kernelSize: 5, activation: 'relu', name: 'conv2' });
  x = b.maxPool(x, 2, 2, 'valid', 'pool2');
  x = b.conv2d(x, { filters: w(192), kernelSize: 3, activation: 'relu', name: 'conv3' });
  x = b.conv2d(x, { filters: w(192), kernelSize: 3, activation: 'relu', name: 'conv4' });
  x = b.conv2d(x, { filters: w(128), kernelSize: 3, activation: 'relu', name: 'conv5' });
  x = b.maxPool(x, 2, 2, 'valid', 'pool3');
  x = b.flatten(x, 'flatten');
  x = b.dense(x, { units: w(512), activation: 'relu', name: 'fc1' });
  x = b.dropout(x, 0.5, 'drop1');
  x = b.dense(x, { units: w(256), activation: 'relu', name: 'fc2' });
  x = b.dropout(x, 0.5, 'drop2');
  return new GraphModel(b.build(b.dense(x, { units: options.classes ?? 10, name: 'logits' })));
}
