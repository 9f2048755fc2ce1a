import * as tf from '@tensorflow/tfjs-core';
import { assertChannelsLast, channelsLastConvInfo } from './conv-support.js';
import { shape4D, kernelBackend, kernelInput, type KernelArgs } from './kernel-args.js';
import { kernelFromOps } from './kernel-from-ops.js';
import { flippedPhaseFilter } from './phase-filter.js';
import { transposedConv, type AxisPhase, type SpatialPadding } from './transposed-conv.js';

/** dx of conv2d as stride-1 forward convs of dy with the flipped, in/out-swapped filter. */
function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo {
  const dyInfo = kernelInput(args, 'dy');
  const filterInfo = kernelInput(args, 'filter');
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  assertChannelsLast(tf.Conv2DBackpropInput, dataFormat);
  const filterShape = shape4D(filterInfo, 'Conv2DBackpropInput filter');
  const convInfo = channelsLastConvInfo(inputShape, filterShape, strides, pad, dimRoundingMode, false);
  const phaseStrides: [number, number] = [convInfo.strideHeight, convInfo.strideWidth];
  const [, , inChannels, outChannels] = filterShape;

  return kernelFromOps(kernelBackend(args), [dyInfo, filterInfo] as const, (dy, filter) => {
    const filterValues = filter.dataSync();
    const conv = (window: tf.Tensor4D, h: AxisPhase, w: AxisPhase, padding: SpatialPadding): tf.Tensor4D => {
      const taps = tf.tensor4d(flippedPhaseFilter(filterValues, filterShape, h, w, phaseStrides, true), [
        h.numTaps,
        w.numTaps,
        outChannels,
        inChannels,
      ]);
      return tf.conv2d(window, taps, 1, [[0, 0], padding[0], padding[1], [0, 0]]);
    };
    return transposedConv(dy as tf.Tensor4D, convInfo, conv);
  });
}

export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput,
};
