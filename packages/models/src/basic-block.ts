import type { GraphBuilder } from '@qcb/core';

/** A basic residual block: two 3x3 conv+BN, and a 1x1 conv+BN shortcut when the shape changes. */
export function basicBlock(b: GraphBuilder, x: string, filters: number, stride: number, prefix: string): string {
  let y = b.conv2d(x, { filters, kernelSize: 3, strides: stride, useBias: false, name: `${prefix}_conv1` });
  y = b.batchNorm(y, { name: `${prefix}_bn1` });
  y = b.relu(y, `${prefix}_relu1`);
  y = b.conv2d(y, { filters, kernelSize: 3, useBias: false, name: `${prefix}_conv2` });
  y = b.batchNorm(y, { name: `${prefix}_bn2` });
  let shortcut = x;
  const inChannels = b.shapeOf(x)[2];
  if (stride !== 1 || inChannels !== filters) {
    shortcut = b.conv2d(x, { filters, kernelSize: 1, strides: stride, useBias: false, name: `${prefix}_shortcut` });
    shortcut = b.batchNorm(shortcut, { name: `${prefix}_shortcut_bn` });
  }
  const sum = b.add([y, shortcut], `${prefix}_add`);
  return b.relu(sum, `${prefix}_out`);
}
