import * as tf from '@tensorflow/tfjs-core';
import { assertUnitDilations, channelsLastConvInfo } from './conv-support.js';
import { shape4D, kernelBackend, kernelInput, type KernelArgs } from './kernel-args.js';
import { fastDepthwiseWindow } from './fast-depthwise-window.js';
import { kernelFromOps } from './kernel-from-ops.js';
import { flippedPhaseFilter } from './phase-filter.js';
import { transposedConv, type AxisPhase, type SpatialPadding } from './transposed-conv.js';

/**
 * dx of a depthwise conv: each of the Cin*M dy channels is correlated with its
 * own flipped filter (a stride-1 depthwise conv), then the M multiplier
 * channels of each input channel are summed.
 */
function depthwiseConv2dNativeBackpropInput(args: KernelArgs): tf.TensorInfo {
  const dyInfo = kernelInput(args, 'dy');
  const filterInfo = kernelInput(args, 'filter');
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  assertUnitDilations(tf.DepthwiseConv2dNativeBackpropInput, dilations);
  const filterShape = shape4D(filterInfo, 'DepthwiseConv2dNativeBackpropInput filter');
  const convInfo = channelsLastConvInfo(inputShape, filterShape, strides, pad, dimRoundingMode, true);
  const [, , inChannels, multiplier] = filterShape;
  const phaseStrides: [number, number] = [convInfo.strideHeight, convInfo.strideWidth];

  return kernelFromOps(kernelBackend(args), [dyInfo, filterInfo] as const, (dy, filter) => {
    const filterValues = filter.dataSync();
    const conv = (window: tf.Tensor4D, h: AxisPhase, w: AxisPhase, padding: SpatialPadding): tf.Tensor4D => {
      // Trailing zero taps need matching extra zero padding after the window.
      const grid = fastDepthwiseWindow(h.numTaps, w.numTaps);
      const perChannel = tf.tensor4d(flippedPhaseFilter(filterValues, filterShape, h, w, phaseStrides, false, grid), [
        grid[0],
        grid[1],
        inChannels * multiplier,
        1,
      ]);
      const out = tf.depthwiseConv2d(window, perChannel, 1, [
        [0, 0],
        [padding[0][0], padding[0][1] + grid[0] - h.numTaps],
        [padding[1][0], padding[1][1] + grid[1] - w.numTaps],
        [0, 0],
      ]);
      if (multiplier === 1) {
        return out;
      }
      const [batch, height, width] = out.shape;
      return tf.sum(tf.reshape(out, [batch, height, width, inChannels, multiplier]), 4);
    };
    return transposedConv(dy as tf.Tensor4D, convInfo, conv);
  });
}

export const depthwiseConv2dNativeBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput,
};
