import * as tf from '@tensorflow/tfjs-core';
import { assertChannelsLast, channelsLastConvInfo } from './conv-support.js';
import { shape4D, kernelBackend, kernelInput, type KernelArgs } from './kernel-args.js';
import { kernelFromOps } from './kernel-from-ops.js';

/**
 * dW[kh, kw, ci, co] = sum over n, oh, ow of xPadded[n, oh*sh + kh, ow*sw + kw, ci] * dy[n, oh, ow, co].
 *
 * Computed as one forward conv whose reduction runs over the batch: the input
 * is x as a single image [1, H, W*Cin, N] (width and channels folded into one
 * axis, batch as channels), the "filter" is dy as [OH, OW, N, Cout] dilated by
 * (sh, sw*Cin), so output pixel (kh, kw*Cin + ci) holds dW[kh, kw, ci, :].
 * XNNPACK runs it as one GEMM with the long N*OH*OW reduction; on wasm that
 * measured 6-30x faster than per-tap or im2col matMuls (BatchMatMul with a
 * transpose falls back to a naive loop there). Folding Cin into the width
 * lets x be rearranged with a cheap 2-D transpose instead of a 4-D one, and
 * the result needs no transpose at all.
 */
function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const xInfo = kernelInput(args, 'x');
  const dyInfo = kernelInput(args, 'dy');
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  assertChannelsLast(tf.Conv2DBackpropFilter, dataFormat);
  const xShape = shape4D(xInfo, 'Conv2DBackpropFilter x');
  const [, outHeight, outWidth] = shape4D(dyInfo, 'Conv2DBackpropFilter dy');
  const convInfo = channelsLastConvInfo(xShape, filterShape, strides, pad, dimRoundingMode, false);
  const { batchSize, inHeight, inWidth, inChannels, outChannels, filterHeight, filterWidth, padInfo } = convInfo;
  const { strideHeight, strideWidth } = convInfo;
  // Pad the far edges just enough for the last window (which may reach past the
  // forward pass's own padding under 'ceil' rounding); excess output is sliced off.
  const padBottom = Math.max(0, (outHeight - 1) * strideHeight + filterHeight - inHeight - padInfo.top);
  const padRight = Math.max(0, (outWidth - 1) * strideWidth + filterWidth - inWidth - padInfo.left);

  return kernelFromOps(kernelBackend(args), [xInfo, dyInfo] as const, (x, dy) => {
    const xFolded = tf.reshape(tf.transpose(tf.reshape(x, [batchSize, -1]), [1, 0]), [
      1,
      inHeight,
      inWidth * inChannels,
      batchSize,
    ]) as tf.Tensor4D;
    const dyT = tf.reshape(tf.transpose(tf.reshape(dy, [batchSize, outHeight * outWidth, outChannels]), [1, 0, 2]), [
      outHeight,
      outWidth,
      batchSize,
      outChannels,
    ]) as tf.Tensor4D;
    const grad = tf.conv2d(
      xFolded,
      dyT,
      1,
      [
        [0, 0],
        [padInfo.top, padBottom],
        [padInfo.left * inChannels, padRight * inChannels],
        [0, 0],
      ],
      'NHWC',
      [strideHeight, strideWidth * inChannels],
    );
    const exact =
      grad.shape[1] === filterHeight && grad.shape[2] === filterWidth * inChannels
        ? grad
        : tf.slice(grad, [0, 0, 0, 0], [1, filterHeight, filterWidth * inChannels, outChannels]);
    return tf.reshape(exact, [filterHeight, filterWidth, inChannels, outChannels]);
  });
}

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
