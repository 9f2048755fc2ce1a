import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  GraphModel, imageBatch, initBackend, loadModel, normalize, quantizeModel, saveModel,
  type DefenseContext, type NodeTransform,
} from '@qcb/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyDefenseContext } from '../../../test/helpers/defense-context.js';
import { memoryCheckpoint } from '../../../test/helpers/memory-checkpoint.js';
import { finePruning } from './index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** The last block's output of the tiny resnet-small (8 channels) and its dense head. */
const FEATURE = 'stage3_block1_out';
const CHANNELS = 8;

const weights = (m: GraphModel): number[][] => m.graph.nodes.flatMap((n) => Object.values(n.params).map((v) => Array.from(v.dataSync())));

/** Channels whose rows of the head's kernel are all exactly 0. */
function zeroRows(m: GraphModel): number[] {
  const kernel = m.node('logits').params['kernel'];
  const units = kernel.shape[1] as number;
  const values = kernel.dataSync();
  return Array.from({ length: kernel.shape[0] }, (_, r) => r).filter((r) => values.slice(r * units, (r + 1) * units).every((v) => v === 0));
}

/** The least active 40% of the channels, ranked here from the feature map's mean over images and positions. */
function expectedPruned(ctx: DefenseContext): number[] {
  const all = imageBatch(ctx.data, Int32Array.from({ length: ctx.data.count }, (_, i) => i));
  const means = tf.tidy(() => Array.from(tf.mean(ctx.fp.outputsOf(normalize(all.x, ctx.normalization), [FEATURE])[0], [0, 1, 2]).dataSync()));
  tf.dispose([all.x, all.y]);
  const order = means.map((m, c) => ({ m, c })).sort((a, b) => a.m - b.m || a.c - b.c);
  return order.slice(0, Math.floor(CHANNELS * 0.4)).map((e) => e.c).sort((a, b) => a - b);
}

/** Logits with 3 + c added to each named channel c of the feature map, through an optional (quantizing) transform. */
function shiftedLogits(model: GraphModel, x: tf.Tensor, channels: readonly number[], base: NodeTransform = {}): number[] {
  const out = tf.tidy(() => {
    const shift = tf.tensor1d(Array.from({ length: CHANNELS }, (_, c) => (channels.includes(c) ? 3 + c : 0)));
    return model.predict(x, { transform: { ...base, output: (node, o) => (node.name === FEATURE ? tf.add(o, shift) : o) } });
  });
  const values = Array.from(out.dataSync());
  out.dispose();
  return values;
}

describe('fine-pruning', () => {
  it('cuts exactly the least active channels of the last feature map, for good: after fine-tuning, export and quantization they contribute 0', async () => {
    const { ctx, fp, dispose } = await tinyDefenseContext({ options: { epochs: '2', batchSize: '32' } });
    const pruned = expectedPruned(ctx);
    const consumers: string[] = [];
    // Before every step the model trains with the channels already cut.
    const cutBeforeStep: boolean[] = [];
    ctx.hooks.data.batch.tapPromise('probe', async (batch, bctx) => {
      consumers.push(bctx.consumer);
      cutBeforeStep.push(zeroRows(bctx.model).join() === pruned.join());
      return batch;
    });
    const kept = [...Array(CHANNELS).keys()].filter((c) => !pruned.includes(c));
    const before = weights(fp);
    const tensors = tf.memory().numTensors;
    const repaired = await finePruning.run(ctx);
    if (!(repaired instanceof GraphModel)) throw new Error('fine-pruning returns a full-precision GraphModel');
    expect(finePruning.operatesOn).toBe('full-precision');
    expect(repaired).not.toBe(fp);
    expect(weights(fp)).toEqual(before);
    // 256 images in batches of 32: 8 fine-tuning steps an epoch, every batch through the run's hook.
    expect(consumers).toEqual(Array(16).fill('defense:fine-pruning'));
    expect(cutBeforeStep).toEqual(Array(16).fill(true));
    expect(pruned).toHaveLength(3);
    expect(zeroRows(repaired)).toEqual(pruned);
    // Fine-tuned: the convolutions moved too.
    expect(Array.from(repaired.node('stage3_block1_conv2').params['kernel'].dataSync())).not.toEqual(Array.from(fp.node('stage3_block1_conv2').params['kernel'].dataSync()));

    const x = ctx.batches[0];
    const plain = shiftedLogits(repaired, x, []);
    expect(shiftedLogits(repaired, x, pruned)).toEqual(plain);
    expect(shiftedLogits(repaired, x, [kept[0]])).not.toEqual(plain);

    const dir = await mkdtemp(join(tmpdir(), 'qcb-fine-pruning-'));
    try {
      await saveModel(join(dir, 'model'), repaired);
      const loaded = (await loadModel(join(dir, 'model'))).model;
      expect(zeroRows(loaded)).toEqual(pruned);
      expect(shiftedLogits(loaded, x, pruned)).toEqual(shiftedLogits(loaded, x, []));
      for (const m of [repaired, loaded]) {
        const q = await quantizeModel(m, ctx.profile, ctx.batches);
        const quantized = q.transform();
        const base = shiftedLogits(q.model, x, [], quantized);
        expect(shiftedLogits(q.model, x, pruned, quantized)).toEqual(base);
        expect(shiftedLogits(q.model, x, [kept[0]], quantized)).not.toEqual(base);
        if (q.model !== m) q.model.dispose();
      }
      loaded.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    repaired.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    dispose();
  });

  it('resumes from its epoch checkpoint with the same channels cut', async () => {
    const { ctx, dispose } = await tinyDefenseContext({ options: { epochs: '2', batchSize: '64', rate: '0.5' } });
    const checkpoint = memoryCheckpoint(1);
    await expect(finePruning.run({ ...ctx, checkpoint })).rejects.toThrow('interrupted');
    let steps = 0;
    ctx.hooks.data.batch.tapPromise('count', async (batch) => {
      steps++;
      return batch;
    });
    const repaired = await finePruning.run({ ...ctx, checkpoint });
    if (!(repaired instanceof GraphModel)) throw new Error('fine-pruning returns a full-precision GraphModel');
    // Only the second epoch ran again: 256 images in batches of 64.
    expect(steps).toBe(4);
    expect(zeroRows(repaired)).toHaveLength(4);
    const fresh = await finePruning.run(ctx);
    expect(zeroRows(fresh as GraphModel)).toEqual(zeroRows(repaired));
    expect(weights(fresh as GraphModel)).toEqual(weights(repaired));
    [repaired, fresh as GraphModel].forEach((m) => m.dispose());
    checkpoint.dispose();
    dispose();
  });

  it('declares its option keys and fails at once on a bad value', async () => {
    expect(finePruning.optionKeys).toEqual(['rate', 'epochs', 'batchSize', 'lr', 'momentum', 'weightDecay', 'schedule']);
    const { ctx, dispose } = await tinyDefenseContext({ options: { rate: '2' } });
    await expect(finePruning.run(ctx)).rejects.toThrow('--option rate must be a number >= 0 and <= 1, got "2"');
    dispose();
  });
});
