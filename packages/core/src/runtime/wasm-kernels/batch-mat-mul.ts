import * as tf from '@tensorflow/tfjs-core';
import { blockedMatmulWasm } from './blocked-matmul-module.js';
import { heapExport, type WasmHeapBackend } from './heap-module.js';
import { kernelInput, type KernelArgs } from './kernel-args.js';
import { replacingShipped, shippedWasmKernel } from './shipped-kernel.js';

type BlockedMatmul = (
  a: number, b: number, out: number, batch: number, m: number, k: number, n: number,
  aBatch: number, aRow: number, aK: number, bBatch: number,
) => void;

const blockedMatmulOn = heapExport<BlockedMatmul>(blockedMatmulWasm, 'blockedMatmul');
const shippedTranspose = shippedWasmKernel(tf.Transpose);

/**
 * BatchMatMul on wasm. tfjs-backend-wasm hands XNNPACK only an untransposed product of two
 * single matrices; every other product (a dense layer's gradients, attention's batched
 * heads) runs a scalar loop at about 1 GFLOP/s, most of a ViT training step.
 * blocked-matmul.wat runs that loop's arithmetic in the same order with SIMD (the same bits,
 * tested); a transposed `b` is transposed first (a copy, exact), a transposed `a` is read in
 * place. Products XNNPACK takes, and operands whose batch dimensions differ, stay with the
 * shipped kernel (null here).
 */
function blockedBatchMatMul(args: KernelArgs): tf.TensorInfo | null {
  const a = kernelInput(args, 'a');
  const b = kernelInput(args, 'b');
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  const backend = args.backend as unknown as WasmHeapBackend;
  const outer = a.shape.slice(0, -2);
  const xnnpack = !transposeA && !transposeB && outer.every((d) => d === 1) && b.shape.slice(0, -2).every((d) => d === 1);
  const sameBatch = outer.length === b.shape.length - 2 && outer.every((d, i) => d === b.shape[i]);
  const blocked = a.dtype === 'float32' && b.dtype === 'float32' && !xnnpack && sameBatch ? blockedMatmulOn(backend) : null;
  if (blocked === null) return null;
  const rank = a.shape.length;
  const batch = outer.reduce((x, y) => x * y, 1);
  const m = transposeA ? a.shape[rank - 1] : a.shape[rank - 2];
  const k = transposeA ? a.shape[rank - 2] : a.shape[rank - 1];
  const n = transposeB ? b.shape[rank - 2] : b.shape[rank - 1];
  if ((transposeB ? b.shape[rank - 1] : b.shape[rank - 2]) !== k) return null;
  const out = backend.makeOutput([...outer, m, n], 'float32');
  if (batch * m * n === 0) return out;
  // b as [batch, k, n] in row-major order: its own data, or a transposed copy.
  const bRows = transposeB
    ? (shippedTranspose.kernelFunc({ inputs: { x: { dataId: b.dataId, shape: [batch, n, k], dtype: 'float32' } }, attrs: { perm: [0, 2, 1] }, backend: args.backend }) as tf.TensorInfo)
    : b;
  try {
    blocked(
      backend.getMemoryOffset(a.dataId), backend.getMemoryOffset(bRows.dataId), backend.getMemoryOffset(out.dataId),
      batch, m, k, n, m * k, transposeA ? 1 : k, transposeA ? m : 1, k * n,
    );
  } finally {
    if (bRows !== b) backend.disposeData(bRows.dataId);
  }
  return out;
}

export const batchMatMulConfig: tf.KernelConfig = replacingShipped(tf.BatchMatMul, blockedBatchMatMul);
