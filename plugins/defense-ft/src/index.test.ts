import * as tf from '@tensorflow/tfjs-core';
import { GraphModel, initBackend, type BatchContext } from '@qcb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyDefenseContext } from '../../../test/helpers/defense-context.js';
import { ft } from './index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const weights = (m: GraphModel): number[][] => m.graph.nodes.flatMap((n) => Object.values(n.params).map((v) => Array.from(v.dataSync())));

describe('FT', () => {
  it('fine-tunes a copy of the full-precision model through the run hooks, checkpointing every epoch, leaking nothing', async () => {
    const { ctx, fp, dispose } = await tinyDefenseContext({ options: { epochs: '2', batchSize: '32' } });
    const seen: BatchContext[] = [];
    ctx.hooks.data.batch.tapPromise('probe', async (batch, bctx) => {
      seen.push(bctx);
      return batch;
    });
    const saves: unknown[] = [];
    const before = weights(fp);
    const tensors = tf.memory().numTensors;
    const repaired = await ft.run({ ...ctx, checkpoint: { load: async () => null, save: async (done, _m, extra) => void saves.push({ done, state: extra?.state }) } });
    if (!(repaired instanceof GraphModel)) throw new Error('FT returns a full-precision GraphModel');
    expect(ft.operatesOn).toBe('full-precision');
    expect(repaired).not.toBe(fp);
    expect(weights(fp)).toEqual(before);
    expect(weights(repaired)).not.toEqual(before);
    // 256 images in batches of 32: 8 steps an epoch.
    expect(seen).toHaveLength(16);
    expect(seen.every((c) => c.consumer === 'defense:ft' && c.model === repaired && c.preset === 'fast' && c.options === ctx.options)).toBe(true);
    expect(saves).toEqual([{ done: 1, state: { phase: 'finetune', epoch: 1 } }, { done: 2, state: { phase: 'finetune', epoch: 2 } }]);
    repaired.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    dispose();
  });

  it('declares its option keys and fails at once on a bad value', async () => {
    expect(ft.optionKeys).toEqual(['epochs', 'batchSize', 'lr', 'momentum', 'weightDecay', 'schedule']);
    const { ctx, dispose } = await tinyDefenseContext({ options: { lr: '-1' } });
    await expect(ft.run(ctx)).rejects.toThrow('--option lr must be a number > 0, got "-1"');
    dispose();
  });
});
