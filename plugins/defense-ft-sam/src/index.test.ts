import * as tf from '@tensorflow/tfjs-core';
import { GraphModel, initBackend } from '@qcb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyDefenseContext } from '../../../test/helpers/defense-context.js';
import { ftSam } from './index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const weights = (m: GraphModel): number[][] => m.graph.nodes.flatMap((n) => Object.values(n.params).map((v) => Array.from(v.dataSync())));

describe('FT-SAM', () => {
  it('takes two gradient passes per batch (w, then w + e) on a copy of the model, leaking nothing', async () => {
    const { ctx, fp, dispose } = await tinyDefenseContext({ options: { epochs: '1', batchSize: '64' } });
    let batches = 0;
    ctx.hooks.data.batch.tapPromise('probe', async (batch, bctx) => {
      expect(bctx.consumer).toBe('defense:ft-sam');
      batches++;
      return batch;
    });
    let passes = 0;
    ctx.hooks.loss.terms.tap('probe', (terms, lctx) => {
      expect(lctx.stage).toBe('defense:ft-sam');
      passes++;
      return terms;
    });
    const before = weights(fp);
    const tensors = tf.memory().numTensors;
    const repaired = await ftSam.run(ctx);
    if (!(repaired instanceof GraphModel)) throw new Error('FT-SAM returns a full-precision GraphModel');
    expect(weights(fp)).toEqual(before);
    expect(weights(repaired)).not.toEqual(before);
    expect(batches).toBe(4);
    expect(passes).toBe(8);
    repaired.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    dispose();
  });
});
