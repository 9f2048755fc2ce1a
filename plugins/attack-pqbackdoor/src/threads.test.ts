import { setRunThreads, type GraphModel } from '@qcb/core';
import { describe, expect, it } from 'vitest';
import { deployedTargetLoss, tinyAttackContext } from '../../../test/helpers/attack-context.js';
import { expectReproducibleOnTwoThreads, useThreads } from '../../../test/helpers/threads.js';
import { pqBackdoor } from './index.js';

useThreads();

const weights = (m: GraphModel): number[] => m.graph.nodes.flatMap((n) => Object.values(n.params).flatMap((v) => Array.from(v.dataSync())));

describe('PQBackdoor on two threads', () => {
  for (const keepGrid of ['loss', 'observer']) {
    it(`runs both quantization-aware stages data-parallel (keepGrid ${keepGrid}): the same weights twice, no tensor left on the workers`, async () => {
      const spec = 'uniform:w4a4,per-channel,asym,mse,fold,first-last-8';
      const options = { epochs: 6, finetuneEpochs: 2, batchSize: 32, stage1Lr: 0.05, poisonRate: 0.25, quantizer: spec, grids: '', keepGrid };
      const attacked = async (threads: number): Promise<number[]> => {
        setRunThreads(threads);
        const { ctx, data, trainer } = await tinyAttackContext({ bits: 4, options });
        await pqBackdoor.run(ctx);
        const stage1 = (await trainer.loadArtifact('stage1'))!;
        const before = await deployedTargetLoss({ ...ctx, model: stage1 }, data, spec);
        const after = await deployedTargetLoss(ctx, data, spec);
        // The guard keeps the deployed model exactly (the loss route only pulls towards it, and
        // on this tiny model lets it go on one thread as on two).
        if (keepGrid === 'observer') expect(Math.abs(after - before)).toBeLessThan(1e-4);
        expect(Number.isFinite(after)).toBe(true);
        const w = weights(ctx.model);
        stage1.dispose();
        ctx.model.dispose();
        return w;
      };
      await expectReproducibleOnTwoThreads(attacked);
    });
  }
});
