import * as tf from '@tensorflow/tfjs-core';
/** Guards for the conv layouts our wasm training kernels implement. */

export function assertChannelsLast(kernelName: string, dataFormat: string | undefined): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`${kernelName} on wasm supports only NHWC data, got dataFormat '${dataFormat}'.`);
  }
}

export function assertUnitDilations(kernelName: string, dilations: number | readonly number[] | undefined): void {
  const values = dilations === undefined ? [1] : typeof dilations === 'number' ? [dilations] : dilations;
  if (values.some((d) => d !== 1)) {
    throw new Error(`${kernelName} on wasm supports only dilation 1, got dilations [${values.join(', ')}].`);
  }
}

/** Conv geometry of an NHWC forward conv (dilation 1), as the backprop kernels rebuild it. */
export function channelsLastConvInfo(
  inputShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: tf.backend_util.ExplicitPadding | 'valid' | 'same' | number,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  depthwise: boolean,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(inputShape, filterShape, strides, 1, pad, dimRoundingMode, depthwise, 'channelsLast');
}
