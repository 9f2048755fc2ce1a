import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, type GraphModel } from '@qcb/core';
import { pqBackdoor } from '@qcb/attack-pqbackdoor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyAttackContext } from '../helpers/attack-context.js';

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'qcb-attack-resume-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const options = { epochs: 2, finetuneEpochs: 3, batchSize: 32, stage1Lr: 0.05, poisonRate: 0.25 };

function weights(model: GraphModel): number[] {
  return model.variables(() => true).flatMap((v) => Array.from(v.dataSync()));
}

describe('an interrupted attack run', () => {
  it('resumes (second phase, saved stage-1 artifact) to exactly the weights of an uninterrupted run', async () => {
    const straight = await tinyAttackContext({ options, dir: join(dir, 'a') });
    await pqBackdoor.run(straight.ctx);

    const interrupted = await tinyAttackContext({
      options,
      dir: join(dir, 'b'),
      progress: { onEpoch: (phase, epoch) => { if (phase.name === 'stage2' && epoch === 1) throw new Error('interrupted'); } },
    });
    await expect(pqBackdoor.run(interrupted.ctx)).rejects.toThrow('interrupted');
    interrupted.ctx.model.dispose();

    const resumed = await tinyAttackContext({ options, dir: join(dir, 'b') });
    await pqBackdoor.run(resumed.ctx);
    expect(weights(resumed.ctx.model)).toEqual(weights(straight.ctx.model));
    straight.ctx.model.dispose();
    resumed.ctx.model.dispose();
  });
});
