import * as tf from '@tensorflow/tfjs-core';
import type { ImageSet, Normalization } from '../data/image-set.js';
import { QcbError } from '../errors.js';
import { withAllocationGuard } from '../runtime/memory/allocation-failure.js';
import type { BatchPlan } from '../runtime/memory/batch-plan.js';

/** A model's forward pass: NHWC input batch to [batch, classes] scores. */
export type Forward = (x: tf.Tensor4D) => tf.Tensor;

export interface PredictOptions {
  /** Images per forward pass; default the plan's, else 256. */
  readonly batch?: number;
  /**
   * The memory plan the batch comes from (evaluationPlan): its batch is the default, and an
   * allocation that fails becomes a one-line error naming its model, batch and budget.
   */
  readonly plan?: BatchPlan;
  /** Applied to each batch as (x - mean) / std per channel (one value: every channel). */
  readonly normalization?: Normalization;
  /** Called after every batch with the images done so far. */
  readonly onBatch?: (done: number, total: number) => void;
}

function channelValues(values: readonly number[], channels: number, what: string): Float32Array {
  if (values.length !== 1 && values.length !== channels) {
    throw new QcbError('E_USAGE', `normalization ${what} has ${values.length} values for ${channels} channels`);
  }
  return Float32Array.from({ length: channels }, (_, i) => values[values.length === 1 ? 0 : i]);
}

/** Argmax class of every image of the set, computed in batches. */
export function predictClasses(forward: Forward, set: ImageSet, options: PredictOptions = {}): Int32Array {
  const batch = options.batch ?? options.plan?.batch ?? 256;
  if (!Number.isInteger(batch) || batch < 1) throw new QcbError('E_USAGE', `batch must be a positive integer, got ${batch}`);
  const [h, w, c] = set.shape;
  const size = h * w * c;
  if (set.images.length !== set.count * size) {
    throw new QcbError('E_DATA', `image set holds ${set.images.length} values; expected ${set.count} images of ${h}x${w}x${c}`);
  }
  const norm = options.normalization;
  const mean = norm === undefined ? null : channelValues(norm.mean, c, 'mean');
  const std = norm === undefined ? null : channelValues(norm.std, c, 'std');

  const out = new Int32Array(set.count);
  const plan = options.plan;
  const memory = { model: plan?.model ?? 'the model', stage: plan?.stage ?? 'evaluating', batch, ...(plan ? { budget: plan.budget } : {}) };
  for (let start = 0; start < set.count; start += batch) {
    const n = Math.min(batch, set.count - start);
    const classes = withAllocationGuard(memory, () => tf.tidy(() => {
      let x: tf.Tensor4D = tf.tensor4d(set.images.subarray(start * size, (start + n) * size), [n, h, w, c]);
      if (mean !== null && std !== null) x = tf.div(tf.sub(x, tf.tensor1d(mean)), tf.tensor1d(std));
      const scores = forward(x);
      if (scores.rank !== 2 || scores.shape[0] !== n) {
        throw new QcbError('E_USAGE', `the model returned shape [${scores.shape.join(', ')}] for ${n} images; expected [${n}, classes]`);
      }
      return tf.argMax(scores, 1);
    }));
    try {
      out.set(classes.dataSync(), start);
    } finally {
      classes.dispose();
    }
    options.onBatch?.(start + n, set.count);
  }
  return out;
}
