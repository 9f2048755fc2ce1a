import * as tf from '@tensorflow/tfjs-core';
import { assertUnitDilations, channelsLastConvInfo } from './conv-support.js';
import { shape4D, kernelBackend, kernelInput, type KernelArgs } from './kernel-args.js';
import { kernelFromOps } from './kernel-from-ops.js';

/**
 * dW[kh, kw, c, m] = sum over n, oh, ow of xPadded[n, oh*s + kh, ow*s + kw, c] * dy[n, oh, ow, c*M + m].
 *
 * Computed as one depthwise conv over N*Cin channels: input x as
 * [1, H, W, N*Cin], filter dy as [OH, OW, N*Cin, M] dilated by the stride,
 * output [1, KH, KW, N*Cin*M], then summed over N. XNNPACK runs such a huge
 * window on its slow generic path (~10x a depthwise forward), yet on wasm this
 * still beat per-tap slice*dy products, channel-batched matMuls and grouped
 * regular convs by 1.5-20x.
 */
function depthwiseConv2dNativeBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const xInfo = kernelInput(args, 'x');
  const dyInfo = kernelInput(args, 'dy');
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  assertUnitDilations(tf.DepthwiseConv2dNativeBackpropFilter, dilations);
  const xShape = shape4D(xInfo, 'DepthwiseConv2dNativeBackpropFilter x');
  const [, outHeight, outWidth] = shape4D(dyInfo, 'DepthwiseConv2dNativeBackpropFilter dy');
  const convInfo = channelsLastConvInfo(xShape, filterShape, strides, pad, dimRoundingMode, true);
  const { batchSize, inHeight, inWidth, inChannels, filterHeight, filterWidth, strideHeight, strideWidth, padInfo } =
    convInfo;
  const multiplier = filterShape[3];
  const padBottom = Math.max(0, (outHeight - 1) * strideHeight + filterHeight - inHeight - padInfo.top);
  const padRight = Math.max(0, (outWidth - 1) * strideWidth + filterWidth - inWidth - padInfo.left);
  const lanes = batchSize * inChannels;

  return kernelFromOps(kernelBackend(args), [xInfo, dyInfo] as const, (x, dy) => {
    const xT = tf.reshape(tf.transpose(tf.reshape(x, [batchSize, inHeight * inWidth, inChannels]), [1, 0, 2]), [
      1,
      inHeight,
      inWidth,
      lanes,
    ]) as tf.Tensor4D;
    const dyT = tf.reshape(
      tf.transpose(tf.reshape(dy, [batchSize, outHeight * outWidth, inChannels * multiplier]), [1, 0, 2]),
      [outHeight, outWidth, lanes, multiplier],
    ) as tf.Tensor4D;
    const grad = tf.depthwiseConv2d(
      xT,
      dyT,
      1,
      [
        [0, 0],
        [padInfo.top, padBottom],
        [padInfo.left, padRight],
        [0, 0],
      ],
      'NHWC',
      [strideHeight, strideWidth],
    );
    const exact =
      grad.shape[1] === filterHeight && grad.shape[2] === filterWidth
        ? grad
        : tf.slice(grad, [0, 0, 0, 0], [1, filterHeight, filterWidth, lanes * multiplier]);
    const perImage = tf.reshape(exact, [filterHeight, filterWidth, batchSize, inChannels * multiplier]);
    return tf.reshape(tf.sum(perImage, 2), filterShape);
  });
}

export const depthwiseConv2dNativeBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter,
};
