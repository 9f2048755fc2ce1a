import { crossEntropy, setRunThreads, type GraphModel } from '@qcb/core';
import { describe, expect, it } from 'vitest';
import { deployedTargetLoss, tinyAttackContext } from '../../../test/helpers/attack-context.js';
import { expectReproducibleOnTwoThreads, useThreads } from '../../../test/helpers/threads.js';
import { quAntiZation } from './index.js';

useThreads();

const weights = (m: GraphModel): number[] => m.graph.nodes.flatMap((n) => Object.values(n.params).flatMap((v) => Array.from(v.dataSync())));

describe('Qu-ANTI-zation on two threads', () => {
  it('trains data-parallel, each shard its own [clean; triggered] pairs: the backdoor in the profile, the same weights twice, no tensor left on the workers', async () => {
    const spec = 'uniform:w4a4,per-channel,asym,mse,fold';
    const options = { epochs: 8, batchSize: 32, lr: 3e-3, quantizers: spec };
    const attacked = async (threads: number): Promise<number[]> => {
      const { ctx, data } = await tinyAttackContext({ options });
      setRunThreads(1);
      await ctx.runPhase({
        name: 'clean', epochs: 8, batchSize: 32, optimizer: { type: 'sgd', momentum: 0.9 }, schedule: { type: 'constant', lr: 0.05 },
        loss: (b) => crossEntropy(ctx.model.predict(b.x, { training: true }), b.y),
      });
      const before = await deployedTargetLoss(ctx, data, spec);
      setRunThreads(threads);
      await quAntiZation.run(ctx);
      expect(await deployedTargetLoss(ctx, data, spec)).toBeLessThan(before);
      const w = weights(ctx.model);
      ctx.model.dispose();
      return w;
    };
    // Each shard's activation ranges are its own: one thread gives another model.
    await expectReproducibleOnTwoThreads(attacked);
  });
});
