import * as tf from '@tensorflow/tfjs-core';
import { channelSumsOn } from './channel-sums.js';
import type { WasmHeapBackend } from './heap-module.js';
import { kernelInput, type KernelArgs } from './kernel-args.js';
import { replacingShipped } from './shipped-kernel.js';

/**
 * Sums (or averages) a float32 tensor over its leading axes, given in order [0, ..., k - 1]
 * with k below its rank, in one pass over the tensor where it lies (channel-sums.wat):
 * BatchNorm's statistics and the gradients of every per-channel broadcast reduce a
 * channels-last tensor this way. tfjs-backend-wasm's Sum and Mean first transpose the
 * reduced axes innermost, a copy of the whole tensor, then add each channel in row order;
 * ours adds in the same order, so the results are the same bits (tested).
 * Returns null for any other reduction, which the shipped kernel then runs.
 */
export function leadingAxesSum(args: KernelArgs, mean: boolean): tf.TensorInfo | null {
  const x = kernelInput(args, 'x');
  const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
  if (x.dtype !== 'float32') return null;
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const k = axes.length;
  if (k === 0 || k >= x.shape.length || axes.some((a, i) => a !== i)) return null;
  const rows = x.shape.slice(0, k).reduce((a, b) => a * b, 1);
  const kept = x.shape.slice(k);
  const channels = kept.reduce((a, b) => a * b, 1);
  if (rows === 0 || channels === 0) return null;
  const backend = args.backend as unknown as WasmHeapBackend;
  const sums = channelSumsOn(backend);
  if (sums === null) return null;
  const out = backend.makeOutput(keepDims ? [...axes.map(() => 1), ...kept] : kept, 'float32');
  sums(backend.getMemoryOffset(x.dataId), rows, channels, backend.getMemoryOffset(out.dataId), mean ? 1 : 0);
  return out;
}

/** Sum or Mean on wasm: reductions over leading axes here, every other one by the shipped kernel. */
export function leadingAxesReductionConfig(kernelName: typeof tf.Sum | typeof tf.Mean): tf.KernelConfig {
  const mean = kernelName === tf.Mean;
  return replacingShipped(kernelName, (args) => leadingAxesSum(args, mean));
}
