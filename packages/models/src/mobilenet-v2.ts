import { GraphBuilder, GraphModel, QcbError } from '@qcb/core';

export interface MobileNetV2Options {
  /** Input shape without batch, default [224, 224, 3]. */
  readonly inputShape?: readonly number[];
  readonly classes?: number;
  /** The width multiplier (Keras' alpha): every layer's channels times this, rounded to multiples of 8; default 1. */
  readonly width?: number;
  /**
   * Input size over the last feature map's size: 32 (ImageNet: the stem and four stages
   * halve the resolution), 16 (the stem keeps it) or 8 (the stem and the 24-channel stage
   * keep it, the usual CIFAR variant). Default 32 for inputs of 96 px or more, else 16.
   */
  readonly outputStride?: 8 | 16 | 32;
  readonly seed?: number;
}

/** The inverted residual stages (Sandler et al. 2018, Table 2): expansion t, channels c, blocks n, first stride s. */
const STAGES: ReadonlyArray<{ t: number; c: number; n: number; s: number }> = [
  { t: 1, c: 16, n: 1, s: 1 },
  { t: 6, c: 24, n: 2, s: 2 },
  { t: 6, c: 32, n: 3, s: 2 },
  { t: 6, c: 64, n: 4, s: 2 },
  { t: 6, c: 96, n: 3, s: 1 },
  { t: 6, c: 160, n: 3, s: 2 },
  { t: 6, c: 320, n: 1, s: 1 },
];

/** Channels rounded to the nearest multiple of 8, never below 8 nor more than 10% down (Keras' _make_divisible). */
export function makeDivisible(v: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * v ? rounded + divisor : rounded;
}

/**
 * One inverted residual block: a 1x1 expansion conv + BN + ReLU6 (absent when t = 1), a 3x3
 * depthwise conv + BN + ReLU6 carrying the stride, a linear 1x1 projection + BN, and the
 * residual add when the stride is 1 and the channels match.
 */
function invertedResidual(b: GraphBuilder, x: string, t: number, filters: number, stride: number, prefix: string): string {
  const inChannels = b.shapeOf(x)[2];
  let y = x;
  if (t !== 1) {
    y = b.conv2d(y, { filters: inChannels * t, kernelSize: 1, useBias: false, name: `${prefix}_expand` });
    y = b.batchNorm(y, { name: `${prefix}_expand_bn` });
    y = b.relu6(y, `${prefix}_expand_relu`);
  }
  y = b.depthwiseConv2d(y, { kernelSize: 3, strides: stride, useBias: false, name: `${prefix}_depthwise` });
  y = b.batchNorm(y, { name: `${prefix}_depthwise_bn` });
  y = b.relu6(y, `${prefix}_depthwise_relu`);
  y = b.conv2d(y, { filters, kernelSize: 1, useBias: false, name: `${prefix}_project` });
  y = b.batchNorm(y, { name: `${prefix}_project_bn` });
  return stride === 1 && inChannels === filters ? b.add([x, y], `${prefix}_add`) : y;
}

/**
 * MobileNetV2 (Sandler et al. 2018) as Keras builds it: a 3x3 conv stem (32 x width
 * channels) + BN + ReLU6, seventeen inverted residual blocks, a 1x1 conv to 1280 channels
 * (more when width > 1) + BN + ReLU6, global average pooling and a dense head (logits).
 * Convolutions have no bias (BN follows each); padding is 'same'.
 */
export function mobilenetV2(options: MobileNetV2Options = {}): GraphModel {
  const inputShape = options.inputShape ?? [224, 224, 3];
  const width = options.width ?? 1;
  if (!(width > 0)) throw new QcbError('E_USAGE', `mobilenet-v2: the width multiplier must be positive, got ${width}`);
  const outputStride = options.outputStride ?? (Math.min(inputShape[0], inputShape[1]) >= 96 ? 32 : 16);
  const b = new GraphBuilder('mobilenet_v2', inputShape, { seed: options.seed ?? 1 });
  let x = b.input('input');
  x = b.conv2d(x, { filters: makeDivisible(32 * width), kernelSize: 3, strides: outputStride === 32 ? 2 : 1, useBias: false, name: 'stem_conv' });
  x = b.batchNorm(x, { name: 'stem_bn' });
  x = b.relu6(x, 'stem_relu');
  let block = 0;
  STAGES.forEach((stage, i) => {
    // Keras truncates before rounding (int(filters * alpha)).
    const filters = makeDivisible(Math.trunc(stage.c * width));
    const stride = outputStride === 8 && i === 1 ? 1 : stage.s;
    for (let j = 0; j < stage.n; j++) {
      x = invertedResidual(b, x, stage.t, filters, j === 0 ? stride : 1, `block${block++}`);
    }
  });
  x = b.conv2d(x, { filters: width > 1 ? makeDivisible(1280 * width) : 1280, kernelSize: 1, useBias: false, name: 'head_conv' });
  x = b.batchNorm(x, { name: 'head_bn' });
  x = b.relu6(x, 'head_relu');
  x = b.globalAvgPool(x, 'gap');
  return new GraphModel(b.build(b.dense(x, { units: options.classes ?? 10, name: 'logits' })));
}
