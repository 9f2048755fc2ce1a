import * as tf from '@tensorflow/tfjs-core';
import type { ActivationBytes } from './activation-bytes.js';
import { peakWasmAllocation } from './wasm-heap.js';

/** float32: what the measured passes compute. */
const BYTES_PER_VALUE = 4;

/** The two batches a pass is measured at: small, and two apart so that one odd tensor does not skew the slope. */
export const MEASURE_BATCHES: readonly [number, number] = [2, 4];

let measuring = 0;

/**
 * True while measurePassBytes runs a pass. State a pass would carry forward (ProfileFakeQuant's
 * cached ranges and its count of passes) is then computed as on a fresh pass and not kept, so
 * that measuring a training step does not change the training that follows.
 */
export function isMeasuringPass(): boolean {
  return measuring > 0;
}

/**
 * The bytes a pass holds at its peak, measured rather than estimated: the pass runs at two
 * small batches under tf.profile (the engine's live bytes after every kernel) and the peaks
 * give `fixed + batch * perSample`. For a stage the IR cannot see whole, e.g. a defense's
 * training step with its own loss terms, output quantizer and distance. `pass(batch)` must
 * dispose what it makes. On wasm the measure is of the heap's allocations (peakWasmAllocation:
 * a buffer that several tensors view counts once); elsewhere of the engine's tensor bytes,
 * which count a view (a reshape) again. Kernels' internal scratch memory is not seen (the
 * budget's share leaves room for it).
 */
export async function measurePassBytes(pass: (batch: number) => void, batches: readonly [number, number] = MEASURE_BATCHES): Promise<ActivationBytes> {
  const [small, large] = batches;
  const peaks: number[] = [];
  let largest = 0;
  for (const batch of batches) {
    const before = tf.memory().numBytes;
    const run = (): void => pass(batch);
    let heapPeak: number | null = null;
    const profile = await tf.profile(() => {
      measuring++;
      try {
        heapPeak = peakWasmAllocation(run);
        if (heapPeak === null) run();
      } finally {
        measuring--;
      }
    });
    peaks.push(heapPeak ?? Math.max(0, profile.peakBytes - before));
    for (const kernel of profile.kernels) {
      for (const shape of kernel.outputShapes) {
        const values = shape.reduce((a, b) => a * b, 1);
        if (shape[0] === batch) largest = Math.max(largest, (values / batch) * BYTES_PER_VALUE);
      }
    }
  }
  const perSample = Math.max(0, Math.ceil((peaks[1] - peaks[0]) / (large - small)));
  const fixed = Math.max(0, peaks[0] - small * perSample);
  return { perSample, fixed, largestPerSample: Math.ceil(largest) };
}
