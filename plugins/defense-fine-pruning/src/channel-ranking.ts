import * as tf from '@tensorflow/tfjs-core';
import { QcbError, imageBatch, normalize, type GraphModel, type ImageSet, type Normalization } from '@qcb/core';

/** Images per forward pass of the ranking. */
const BATCH = 256;

/**
 * The mean activation of every channel of `feature` over the images of `set` and all
 * positions, with BN on its moving statistics (the original code's `model.eval()`,
 * `torch.no_grad()`), the images normalised and not augmented.
 */
export function meanChannelActivations(model: GraphModel, feature: string, set: ImageSet, normalization: Normalization): Float64Array {
  if (set.count < 1) throw new QcbError('E_USAGE', 'fine-pruning: the defender\'s share holds no image to rank channels on');
  let sums: Float64Array | null = null;
  let perImage = 0;
  for (let start = 0; start < set.count; start += BATCH) {
    const indices = Int32Array.from({ length: Math.min(BATCH, set.count - start) }, (_, i) => start + i);
    const raw = imageBatch(set, indices);
    const summed = tf.tidy(() => {
      const [f] = model.outputsOf(normalize(raw.x, normalization), [feature]);
      if (f.rank !== 4) throw new QcbError('E_USAGE', `fine-pruning: "${feature}" is not a feature map (rank ${f.rank})`);
      perImage = f.shape[1]! * f.shape[2]!;
      return tf.sum(f, [0, 1, 2]);
    });
    tf.dispose([raw.x, raw.y]);
    const values = summed.dataSync();
    summed.dispose();
    sums ??= new Float64Array(values.length);
    values.forEach((v, c) => (sums![c] += v));
  }
  return sums!.map((s) => s / (set.count * perImage));
}

/**
 * The floor(rate x channels) least active channels (BackdoorBox's `int(num_channels *
 * prune_rate)` of an ascending argsort; ties go to the lower index), ascending.
 */
export function leastActive(means: ArrayLike<number>, rate: number): number[] {
  const order = Array.from({ length: means.length }, (_, c) => c).sort((a, b) => means[a] - means[b] || a - b);
  return order.slice(0, Math.floor(means.length * rate)).sort((a, b) => a - b);
}
