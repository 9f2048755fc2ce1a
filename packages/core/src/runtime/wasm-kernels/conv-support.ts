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
