import { GraphBuilder, GraphModel, QcbError } from '@qcb/core';

export interface VggBnOptions {
  readonly inputShape?: readonly number[];
  readonly classes?: number;
  /** Conv widths with 'M' for 2x2 max pooling; default VGG-11. */
  readonly layers?: ReadonlyArray<number | 'M'>;
  /** Multiplies every conv's width (rounded, at least 8); default 1. */
  readonly width?: number;
  readonly seed?: number;
}

export const VGG11: ReadonlyArray<number | 'M'> = [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'];

/**
 * VGG with batch normalisation: 3x3 conv + BN + ReLU stacks separated by max pooling, then
 * global average pooling and a dense head. Pooling stops once the feature map is 1x1, so the
 * same configuration serves 28x28 and 32x32 inputs.
 */
export function vggBn(options: VggBnOptions = {}): GraphModel {
  const width = options.width ?? 1;
  if (!(width > 0)) throw new QcbError('E_USAGE', `vgg-bn: the width multiplier must be positive, got ${width}`);
  const b = new GraphBuilder('vgg_bn', options.inputShape ?? [32, 32, 3], { seed: options.seed ?? 1 });
  let x = b.input('input');
  let conv = 0;
  let pool = 0;
  for (const layer of options.layers ?? VGG11) {
    if (layer === 'M') {
      const [h, w] = b.shapeOf(x);
      if (h >= 2 && w >= 2) x = b.maxPool(x, 2, 2, 'valid', `pool${++pool}`);
      continue;
    }
    conv++;
    x = b.conv2d(x, { filters: Math.max(8, Math.round(layer * width)), kernelSize: 3, useBias: false, name: `conv${conv}` });
    x = b.batchNorm(x, { name: `bn${conv}` });
    x = b.relu(x, `relu${conv}`);
  }
  x = b.globalAvgPool(x, 'gap');
  return new GraphModel(b.build(b.dense(x, { units: options.classes ?? 10, name: 'logits' })));
}
