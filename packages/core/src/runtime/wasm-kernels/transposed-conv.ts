import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradient of a strided convolution w.r.t. its input, computed as stride-1
 * forward convolutions.
 *
 * Along one axis, dx[i] = sum over (o, k) with o*stride + k - padBefore == i of
 * dy[o] * w[k]. Splitting i by its residue `a` modulo the stride ("phase"), only
 * the taps k = firstTap, firstTap + stride, ... contribute, and they see
 * consecutive dy rows. So each phase is a plain stride-1 correlation of dy
 * with those taps flipped, and the phases interleave into dx. Unlike
 * correlating a zero-dilated dy, no multiply ever hits an inserted zero, so the
 * total work equals the forward convolution's.
 */
export interface AxisPhase {
  /** Number of dx positions in this phase (phase, phase + stride, ...). */
  readonly size: number;
  readonly firstTap: number;
  readonly numTaps: number;
  /** Zero padding of dy for the stride-1 correlation; negative means crop. */
  readonly padBefore: number;
  readonly padAfter: number;
}

export interface AxisGeometry {
  readonly inSize: number;
  readonly outSize: number;
  readonly filterSize: number;
  readonly stride: number;
  readonly padBefore: number;
}

export function axisPhases(g: AxisGeometry): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let phase = 0; phase < g.stride; phase++) {
    const size = Math.max(0, Math.ceil((g.inSize - phase) / g.stride));
    const firstTap = (phase + g.padBefore) % g.stride;
    const shift = Math.floor((phase + g.padBefore) / g.stride);
    const numTaps = firstTap < g.filterSize ? Math.ceil((g.filterSize - firstTap) / g.stride) : 0;
    phases.push({
      size,
      firstTap,
      numTaps,
      padBefore: numTaps - 1 - shift,
      padAfter: size + shift - g.outSize,
    });
  }
  return phases;
}

export type SpatialPadding = [[number, number], [number, number]];

/**
 * Computes one phase block: a stride-1 correlation of `dy` with the taps
 * selected by `h` and `w`, flipped, using the given zero padding. Must return
 * [batch, h.size, w.size, channels].
 */
export type PhaseConv = (dy: tf.Tensor4D, h: AxisPhase, w: AxisPhase, padding: SpatialPadding) => tf.Tensor4D;

export function transposedConv(dy: tf.Tensor4D, convInfo: tf.backend_util.Conv2DInfo, conv: PhaseConv): tf.Tensor4D {
  const [, outHeight, outWidth] = dy.shape;
  const hPhases = axisPhases({
    inSize: convInfo.inHeight,
    outSize: outHeight,
    filterSize: convInfo.filterHeight,
    stride: convInfo.strideHeight,
    padBefore: convInfo.padInfo.top,
  });
  const wPhases = axisPhases({
    inSize: convInfo.inWidth,
    outSize: outWidth,
    filterSize: convInfo.filterWidth,
    stride: convInfo.strideWidth,
    padBefore: convInfo.padInfo.left,
  });
  // Phase 0 is the largest; every block is brought to its size to interleave.
  const blockHeight = hPhases[0].size;
  const blockWidth = wPhases[0].size;
  const channels = convInfo.inChannels;
  const rows = hPhases.map((h) =>
    wPhases.map((w) => phaseBlock(dy, h, w, channels, [blockHeight, blockWidth], conv)),
  );
  if (rows.length === 1 && rows[0].length === 1) {
    return rows[0][0];
  }
  return interleave(rows, convInfo.inHeight, convInfo.inWidth);
}

function phaseBlock(
  dy: tf.Tensor4D,
  h: AxisPhase,
  w: AxisPhase,
  channels: number,
  [blockHeight, blockWidth]: [number, number],
  conv: PhaseConv,
): tf.Tensor4D {
  const [batch, outHeight, outWidth] = dy.shape;
  const top = Math.max(0, -h.padBefore);
  const bottom = outHeight - Math.max(0, -h.padAfter);
  const left = Math.max(0, -w.padBefore);
  const right = outWidth - Math.max(0, -w.padAfter);
  const empty = h.size === 0 || w.size === 0 || h.numTaps === 0 || w.numTaps === 0 || bottom <= top || right <= left;
  if (empty) {
    // Fill writes in the backend's memory; tf.zeros would make the block in JavaScript first.
    return tf.fill([batch, blockHeight, blockWidth, channels], 0, 'float32') as tf.Tensor4D;
  }
  const window =
    top === 0 && left === 0 && bottom === outHeight && right === outWidth
      ? dy
      : tf.slice(dy, [0, top, left, 0], [batch, bottom - top, right - left, dy.shape[3]]);
  const block = conv(window, h, w, [
    [Math.max(0, h.padBefore), Math.max(0, h.padAfter)],
    [Math.max(0, w.padBefore), Math.max(0, w.padAfter)],
  ]);
  if (h.size === blockHeight && w.size === blockWidth) {
    return block;
  }
  return tf.pad(block, [
    [0, 0],
    [0, blockHeight - h.size],
    [0, blockWidth - w.size],
    [0, 0],
  ]);
}

/** rows[a][b] holds dx[:, a::sh, b::sw, :], each padded to a common block size. */
function interleave(rows: tf.Tensor4D[][], inHeight: number, inWidth: number): tf.Tensor4D {
  const [batch, blockHeight, blockWidth, channels] = rows[0][0].shape;
  const strideW = rows[0].length;
  const width = blockWidth * strideW;
  // Measured on wasm: concat on axis 0 plus a 3-D transpose (C++) interleaves
  // columns 3-4x faster than stacking on the channel axis (many tiny JS
  // copies), while rows interleave fastest as a stack on axis 2 (large copies).
  const merged = rows.map((blocks): tf.Tensor4D => {
    if (strideW === 1) {
      return blocks[0];
    }
    const stacked = tf.reshape(tf.concat(blocks, 0), [strideW, batch * blockHeight * blockWidth, channels]);
    return tf.reshape(tf.transpose(stacked, [1, 0, 2]), [batch, blockHeight, width, channels]);
  });
  const full: tf.Tensor4D =
    merged.length === 1
      ? merged[0]
      : tf.reshape(tf.stack(merged, 2), [batch, blockHeight * merged.length, width, channels]);
  if (full.shape[1] === inHeight && full.shape[2] === inWidth) {
    return full;
  }
  return tf.slice(full, [0, 0, 0, 0], [batch, inHeight, inWidth, channels]);
}
