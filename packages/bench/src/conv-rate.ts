import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { convFlops, convShapes, forwardFlopsPerSample, type ConvShape } from './flops.js';
import { timePerCall } from './timing.js';

export interface ConvRate {
  readonly shapes: ReadonlyArray<ConvShape & { seconds: number; gflops: number }>;
  /** All of resnet-small's convs: total FLOPs over total time. */
  readonly gflops: number;
  readonly forwardFlopsPerSample: number;
}

/** Forward conv2d throughput on wasm, on every conv shape of resnet-small at a batch size. */
export async function forwardConvRate(batch: number, reps: number): Promise<ConvRate> {
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
    const seconds = await timePerCall(() => {
      // Reading one element forces execution without timing a large download.
      tf.tidy(() => tf.slice(tf.conv2d(x, w, [c.strides[0], c.strides[1]], c.padding), [0, 0, 0, 0], [1, 1, 1, 1]).dataSync());
    }, reps, 2);
    tf.dispose([x, w]);
    const flops = convFlops(c) * batch;
    totalFlops += flops;
    totalSeconds += seconds;
    measured.push({ ...c, seconds, gflops: flops / seconds / 1e9 });
  }
  return { shapes: measured, gflops: totalFlops / totalSeconds / 1e9, forwardFlopsPerSample: flopsPerSample };
}
