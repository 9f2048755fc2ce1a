// Test support: computes conv gradients on cpu and on wasm (with our kernels)
// from identical Float32Arrays, since tensors cannot cross backends.
// Gradient functions come from the package's tfjs setup (tfjs-core alone has none).
import '../../../tfjs-setup.js';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../register.js';

export type ConvOp = 'conv2d' | 'depthwiseConv2d';
export type ConvPad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

export interface ConvCase {
  readonly op: ConvOp;
  readonly x: [number, number, number, number];
  readonly filter: [number, number, number, number];
  readonly strides: number | [number, number];
  readonly pad: ConvPad;
}

export interface ConvGrads {
  readonly dx: Float32Array;
  readonly dFilter: Float32Array;
}

export function describeCase(c: ConvCase): string {
  const pad = typeof c.pad === 'string' || typeof c.pad === 'number' ? String(c.pad) : JSON.stringify(c.pad);
  return `${c.op} x=[${c.x}] f=[${c.filter}] s=${JSON.stringify(c.strides)} pad=${pad}`;
}

export async function useWasmWithTrainingKernels(): Promise<void> {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
}

/** Deterministic values in [-1, 1). */
export function seededValues(size: number, seed: number): Float32Array {
  const values = new Float32Array(size);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 31 - 1;
  }
  return values;
}

function forward(c: ConvCase, x: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor4D {
  return c.op === 'conv2d'
    ? tf.conv2d(x, filter, c.strides, c.pad)
    : tf.depthwiseConv2d(x, filter, c.strides, c.pad);
}

/** Gradients of sum(conv(x, filter) * weights) on the given backend. */
export async function convGradsOn(backend: 'cpu' | 'wasm', c: ConvCase, seed = 7): Promise<ConvGrads> {
  if (backend === 'wasm') {
    await useWasmWithTrainingKernels();
  } else {
    await tf.setBackend('cpu');
  }
  return tf.tidy(() => {
    const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.x), seed), c.x);
    const filter = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.filter), seed + 1), c.filter);
    const outShape = forward(c, x, filter).shape;
    // Non-uniform upstream gradient so every dy position matters.
    const weights = tf.tensor(seededValues(tf.util.sizeFromShape(outShape), seed + 2), outShape);
    const [dx, dFilter] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(forward(c, a as tf.Tensor4D, b as tf.Tensor4D), weights)),
    )([x, filter]);
    return { dx: dx.dataSync() as Float32Array, dFilter: dFilter.dataSync() as Float32Array };
  });
}

/** max |actual - expected| divided by max |expected| (or 1 if that is tiny). */
export function relativeMaxDiff(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) {
    return Number.POSITIVE_INFINITY;
  }
  let maxDiff = 0;
  let maxMagnitude = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxMagnitude = Math.max(maxMagnitude, Math.abs(expected[i]));
  }
  return maxDiff / Math.max(maxMagnitude, 1e-3);
}

export const conv2dCases: readonly ConvCase[] = [
  { op: 'conv2d', x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { op: 'conv2d', x: [2, 8, 8, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'valid' },
  { op: 'conv2d', x: [3, 8, 8, 2], filter: [3, 3, 2, 5], strides: 2, pad: 'same' },
  { op: 'conv2d', x: [2, 7, 7, 4], filter: [3, 3, 4, 3], strides: 2, pad: 'same' },
  { op: 'conv2d', x: [2, 9, 8, 3], filter: [3, 3, 3, 2], strides: 2, pad: 'valid' },
  { op: 'conv2d', x: [2, 8, 8, 3], filter: [3, 3, 3, 6], strides: 2, pad: 'valid' },
  { op: 'conv2d', x: [2, 8, 7, 3], filter: [2, 2, 3, 4], strides: 2, pad: 'same' },
  { op: 'conv2d', x: [2, 8, 8, 4], filter: [1, 1, 4, 6], strides: 2, pad: 'same' },
  { op: 'conv2d', x: [2, 7, 7, 4], filter: [1, 1, 4, 3], strides: 2, pad: 'valid' },
  { op: 'conv2d', x: [2, 10, 9, 3], filter: [5, 5, 3, 2], strides: [3, 2], pad: 'valid' },
  { op: 'conv2d', x: [2, 11, 10, 2], filter: [4, 3, 2, 3], strides: [2, 3], pad: 'same' },
  { op: 'conv2d', x: [2, 5, 5, 2], filter: [2, 2, 2, 3], strides: 3, pad: 'same' },
  { op: 'conv2d', x: [2, 3, 3, 2], filter: [1, 1, 2, 2], strides: 4, pad: 'same' },
  {
    op: 'conv2d',
    x: [2, 7, 8, 3],
    filter: [3, 3, 3, 4],
    strides: 2,
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
  { op: 'conv2d', x: [1, 6, 6, 1], filter: [3, 3, 1, 1], strides: 1, pad: 2 },
  { op: 'conv2d', x: [4, 14, 14, 16], filter: [3, 3, 16, 32], strides: 2, pad: 'same' },
  { op: 'conv2d', x: [4, 7, 7, 32], filter: [3, 3, 32, 32], strides: 1, pad: 'same' },
];

export const depthwiseCases: readonly ConvCase[] = [
  { op: 'depthwiseConv2d', x: [2, 7, 7, 3], filter: [3, 3, 3, 1], strides: 1, pad: 'same' },
  { op: 'depthwiseConv2d', x: [2, 8, 8, 3], filter: [3, 3, 3, 1], strides: 1, pad: 'valid' },
  { op: 'depthwiseConv2d', x: [2, 8, 8, 4], filter: [3, 3, 4, 2], strides: 2, pad: 'same' },
  { op: 'depthwiseConv2d', x: [3, 9, 9, 2], filter: [3, 3, 2, 3], strides: 2, pad: 'valid' },
  { op: 'depthwiseConv2d', x: [2, 7, 7, 5], filter: [3, 3, 5, 1], strides: 2, pad: 'same' },
  { op: 'depthwiseConv2d', x: [2, 8, 8, 5], filter: [3, 3, 5, 1], strides: 2, pad: 'valid' },
  { op: 'depthwiseConv2d', x: [2, 9, 8, 4], filter: [5, 5, 4, 1], strides: 1, pad: 'same' },
  { op: 'depthwiseConv2d', x: [2, 6, 7, 4], filter: [2, 2, 4, 2], strides: 2, pad: 'same' },
  { op: 'depthwiseConv2d', x: [2, 10, 9, 3], filter: [3, 3, 3, 1], strides: [3, 2], pad: 'valid' },
  {
    op: 'depthwiseConv2d',
    x: [2, 7, 8, 3],
    filter: [3, 3, 3, 2],
    strides: 2,
    pad: [
      [0, 0],
      [2, 1],
      [0, 1],
      [0, 0],
    ],
  },
  { op: 'depthwiseConv2d', x: [4, 14, 14, 32], filter: [3, 3, 32, 1], strides: 2, pad: 'same' },
  { op: 'depthwiseConv2d', x: [4, 7, 7, 64], filter: [3, 3, 64, 1], strides: 1, pad: 'same' },
];

export interface HostTensor {
  readonly values: Float32Array;
  readonly shape: number[];
}

export function hostTensor(shape: number[], seed: number): HostTensor {
  return { values: seededValues(tf.util.sizeFromShape(shape), seed), shape };
}

/** Runs one kernel directly on the given backend and returns its output values. */
export async function kernelOutputOn(
  backend: 'cpu' | 'wasm',
  kernelName: string,
  inputs: Record<string, HostTensor>,
  attrs: tf.NamedAttrMap,
): Promise<Float32Array> {
  if (backend === 'wasm') {
    await useWasmWithTrainingKernels();
  } else {
    await tf.setBackend('cpu');
  }
  return tf.tidy(() => {
    const tensors: tf.NamedTensorMap = {};
    for (const [name, t] of Object.entries(inputs)) {
      tensors[name] = tf.tensor(t.values, t.shape);
    }
    const out = tf.engine().runKernel(kernelName, tensors, attrs) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}
