import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { convFlops, convShapes, forwardFlopsPerSample, type ConvShape } from './flops.js';
import { timePerCall } from './timing.js';

export interface ConvRate {
  readonly shapes: ReadonlyArray<ConvShape & { seconds: number; gflops: number }>;
  /** All of resnet-small's convs: total FLOPs over total (median) time. */
  readonly gflops: number;
  readonly forwardFlopsPerSample: number;
}

/**
 * Forward conv2d throughput on wasm, on every conv shape of resnet-small at a batch size:
 * the median of `reps` calls per shape after `warmup` (a median, not a mean, so that one
 * slow call does not move it). Each shape's FLOPs are checked against the output tfjs
 * actually returns (2 x output elements x kernel height x width x input channels).
 */
export async function forwardConvRate(batch: number, reps: number, warmup = 5): Promise<ConvRate> {
  await initBackend('wasm');
  const model = resnetSmall();
  const shapes = convShapes(model);
  const flopsPerSample = forwardFlopsPerSample(model);
  model.dispose();
  const measured = [];
  let totalFlops = 0;
  let totalSeconds = 0;
  for (const c of shapes) {
    const x = tf.randomNormal<tf.Rank.R4>([batch, c.input[0], c.input[1], c.input[2]]);
    const w = tf.randomNormal<tf.Rank.R4>([c.kernel[0], c.kernel[1], c.kernel[2], c.kernel[3]]);
    const flops = convFlops(c) * batch;
    const outSize = tf.tidy(() => tf.conv2d(x, w, [c.strides[0], c.strides[1]], c.padding).size);
    const counted = 2 * outSize * c.kernel[0] * c.kernel[1] * c.kernel[2];
    if (counted !== flops) throw new Error(`${c.node}: ${flops} FLOPs from the graph's shapes, ${counted} from tfjs's output`);
    const seconds = await timePerCall(() => {
      // Reading one element forces execution without timing a large download.
      tf.tidy(() => tf.slice(tf.conv2d(x, w, [c.strides[0], c.strides[1]], c.padding), [0, 0, 0, 0], [1, 1, 1, 1]).dataSync());
    }, reps, warmup);
    tf.dispose([x, w]);
    totalFlops += flops;
    totalSeconds += seconds;
    measured.push({ ...c, seconds, gflops: flops / seconds / 1e9 });
  }
  return { shapes: measured, gflops: totalFlops / totalSeconds / 1e9, forwardFlopsPerSample: flopsPerSample };
}
