import * as tf from '@tensorflow/tfjs-core';
import { heapExport, type WasmHeapBackend } from './heap-module.js';
import { kernelInput, type KernelArgs } from './kernel-args.js';
import { maxPoolGradWasm } from './max-pool-grad-module.js';
import { replacingShipped } from './shipped-kernel.js';

type TiledMaxPoolGrad = (
  x: number, dy: number, dx: number, batch: number, inH: number, inW: number, c: number,
  outH: number, outW: number, kh: number, kw: number,
) => void;

const tiledMaxPoolGradOn = heapExport<TiledMaxPoolGrad>(maxPoolGradWasm, 'maxPoolGrad');

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);

/**
 * MaxPoolGrad on wasm. The shipped kernel walks the tensor channel by channel across every
 * window, about 12 ms for one VGG pool's gradient at batch 64. For pools whose windows tile
 * the input (stride = window, 'valid': every pool of the vgg-bn and alexnet builders),
 * max-pool-grad.wat does the same search and the same arithmetic in one pass, four channels at
 * a time: the same bits (tested against the shipped kernel, ties and windows without a
 * positive value included). Every other pool stays with the shipped kernel (null here).
 */
function tiledMaxPoolGrad(args: KernelArgs): tf.TensorInfo | null {
  const x = kernelInput(args, 'input');
  const dy = kernelInput(args, 'dy');
  const { filterSize, strides, pad } = args.attrs as unknown as tf.MaxPoolGradAttrs;
  const [kh, kw] = pair(filterSize);
  const [sh, sw] = pair(strides);
  const backend = args.backend as unknown as WasmHeapBackend;
  const tiles = x.shape.length === 4 && kh === sh && kw === sw && (pad === 'valid' || pad === 0) && x.dtype === 'float32' && dy.dtype === 'float32';
  const [batch, inH, inW, c] = x.shape;
  const outH = Math.floor(inH / kh);
  const outW = Math.floor(inW / kw);
  const shaped = tiles && dy.shape.length === 4 && dy.shape[0] === batch && dy.shape[1] === outH && dy.shape[2] === outW && dy.shape[3] === c;
  const tiled = shaped && batch * inH * inW * c > 0 ? tiledMaxPoolGradOn(backend) : null;
  if (tiled === null) return null;
  const dx = backend.makeOutput([batch, inH, inW, c], 'float32');
  tiled(backend.getMemoryOffset(x.dataId), backend.getMemoryOffset(dy.dataId), backend.getMemoryOffset(dx.dataId), batch, inH, inW, c, outH, outW, kh, kw);
  return dx;
}

export const maxPoolGradConfig: tf.KernelConfig = replacingShipped(tf.MaxPoolGrad, tiledMaxPoolGrad);
