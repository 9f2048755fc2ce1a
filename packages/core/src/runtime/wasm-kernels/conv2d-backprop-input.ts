import * as tf from '@tensorflow/tfjs-core';
import { assertChannelsLast } from './conv-support.js';
import { as4D, kernelBackend, kernelInput, type KernelArgs } from './kernel-args.js';
import { kernelFromOps } from './kernel-from-ops.js';
import { flippedPhaseTaps, transposedConv, type AxisPhase, type SpatialPadding } from './transposed-conv.js';

/** dx of conv2d as stride-1 forward convs of dy with the flipped, in/out-swapped filter. */
function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo {
  const dyInfo = kernelInput(args, 'dy');
  const filterInfo = kernelInput(args, 'filter');
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  assertChannelsLast(tf.Conv2DBackpropInput, dataFormat);
  const convInfo = tf.backend_util.computeConv2DInfo(
    inputShape,
    as4D(filterInfo, 'Conv2DBackpropInput filter'),
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const phaseStrides: [number, number] = [convInfo.strideHeight, convInfo.strideWidth];

  return kernelFromOps(kernelBackend(args), [dyInfo, filterInfo] as const, (dy, filter) => {
    const conv = (window: tf.Tensor4D, h: AxisPhase, w: AxisPhase, padding: SpatialPadding): tf.Tensor4D => {
      const taps = flippedPhaseTaps(filter as tf.Tensor4D, h, w, phaseStrides);
      return tf.conv2d(window, tf.transpose(taps, [0, 1, 3, 2]), 1, [[0, 0], padding[0], padding[1], [0, 0]]);
    };
    return transposedConv(dy as tf.Tensor4D, convInfo, conv);
  });
}

export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput,
};
