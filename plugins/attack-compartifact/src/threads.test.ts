import * as tf from '@tensorflow/tfjs-core';
import { batchStatsRecorder, crossEntropy, imageBatch, normalize, setRunThreads, type GraphModel } from '@qcb/core';
import { describe, expect, it } from 'vitest';
import { tinyAttackContext, deployedTargetLoss } from '../../../test/helpers/attack-context.js';
import { expectReproducibleOnTwoThreads, useThreads } from '../../../test/helpers/threads.js';
import { compArtifact, compArtifactLoss } from './index.js';
import { quantizedBranch } from './quantized-branch.js';

useThreads();

const weights = (m: GraphModel): number[] => m.graph.nodes.flatMap((n) => Object.values(n.params).flatMap((v) => Array.from(v.dataSync())));

describe('CompArtifact on two threads', () => {
  it('splits its loss into the full-precision cross-entropy and the quantized branch as extra terms, to the same value', async () => {
    const { ctx, data } = await tinyAttackContext({ bits: 4 });
    const [whole, parts] = tf.tidy(() => {
      const { x, y } = imageBatch(data.train, Array.from({ length: 16 }, (_, i) => i));
      const xs = normalize(tf.concat([x, ctx.trigger.apply(x)]) as tf.Tensor4D, data.normalization);
      const ys = tf.concat([y, y]) as tf.Tensor1D;
      const recorder = batchStatsRecorder();
      const fp = crossEntropy(ctx.model.predict(xs, { training: true, updateStats: false, tap: recorder.tap }), ys);
      const branch = quantizedBranch({ model: ctx.model, bits: 4, target: ctx.target, profiles: [] }, null).forBatch({ x: xs, y: ys });
      const extra = branch.terms(new Map(), recorder.stats)[0];
      return [compArtifactLoss(ctx, xs, ys).dataSync()[0], tf.add(fp, extra.value).dataSync()[0]];
    });
    expect(parts).toBeCloseTo(whole, 5);
    ctx.model.dispose();
  });

  it('trains data-parallel with each shard composed on its own: the backdoor in the deployed profile, the same weights twice, no tensor left on the workers', async () => {
    const spec = 'uniform:w4a4,per-channel,asym,mse,fold';
    const options = { epochs: 6, batchSize: 32, lr: 0.05, quantizer: spec };
    await expectReproducibleOnTwoThreads(async (threads) => {
      setRunThreads(threads);
      const { ctx, data } = await tinyAttackContext({ bits: 4, options });
      const before = await deployedTargetLoss(ctx, data, spec);
      await compArtifact.run(ctx);
      expect(await deployedTargetLoss(ctx, data, spec)).toBeLessThan(before * 0.5);
      const w = weights(ctx.model);
      ctx.model.dispose();
      return w;
    });
  });
});
