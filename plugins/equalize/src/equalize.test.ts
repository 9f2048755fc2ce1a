import * as tf from '@tensorflow/tfjs-core';
import { defenderBatches, initBackend, quantizeModel, syntheticDataset, type GraphModel } from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { ACADEMIC_W4A4 } from '@qcb/quantizer-academic-w4a4';
import { ACADEMIC_W8A8 } from '@qcb/quantizer-academic-w8a8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { equalizeOutliers } from './equalize.js';
import { EQUALIZE_DEFAULTS, resolveEqualizeOptions } from './options.js';
import { scaleChannel } from './scale-channel.js';

const data = syntheticDataset({ classes: 4, shape: [8, 8, 1], trainCount: 256, testCount: 64, seed: 5 });
let fp: GraphModel;
let calibration: tf.Tensor4D[];
let images: tf.Tensor4D;

/** Channel 3 of the first block's inner ReLU made 32 times larger than its siblings: an outlier. */
function plantOutlier(model: GraphModel): void {
  const params = model.node('stage1_block1_bn1').params;
  scaleChannel(params['gamma'], 0, 3, 32);
  scaleChannel(params['beta'], 0, 3, 32);
}

beforeAll(async () => {
  await initBackend('wasm');
  fp = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [16, 16, 16], seed: 2 });
  plantOutlier(fp);
  calibration = defenderBatches(data.train, data.normalization, { share: 1, samples: 256, batchSize: 64 });
  images = calibration[0];
});
afterAll(() => {
  tf.dispose(calibration);
  fp.dispose();
});

/** The input grid's upper end of a unit's activation quantizer. */
const rangeTop = (q: Awaited<ReturnType<typeof quantizeModel>>, head: string): number => {
  const g = q.parts.activations.get(head)!;
  return g.scale[0] * (g.qmax - g.zeroPoint[0]);
};
const channelMax = (model: GraphModel, tensor: string, channel: number): number =>
  tf.tidy(() => tf.max(tf.gather(model.outputsOf(images, [tensor])[0], [channel], 3)).dataSync()[0]);

describe('equalizeOutliers', () => {
  it('brings an 8-bit outlier channel inside its quantizer\'s range and keeps the full-precision function bit for bit', async () => {
    const quantized = await quantizeModel(fp, ACADEMIC_W8A8, calibration);
    const top = rangeTop(quantized, 'stage1_block1_conv2');
    const max = channelMax(fp, 'stage1_block1_relu1', 3);
    // The MSE range stops below the outlier: the quantizer clips it.
    expect(top).toBeLessThan(max);
    const { model, outliers } = equalizeOutliers(fp, quantized, calibration, EQUALIZE_DEFAULTS);
    expect(model).not.toBe(fp);
    expect(outliers).toHaveLength(1);
    const [o] = outliers;
    expect(o).toMatchObject({ tensor: 'stage1_block1_relu1', channel: 3, producers: ['stage1_block1_bn1'], consumers: ['stage1_block1_conv2'] });
    expect(Math.log2(o.factor) % 1).toBe(0);
    expect((o.max / o.factor) * EQUALIZE_DEFAULTS.headroom).toBeLessThanOrEqual(o.typical);
    const same = tf.tidy(() => tf.max(tf.abs(tf.sub(model.predict(images), fp.predict(images)))).dataSync()[0]);
    expect(same).toBe(0);
    const after = await quantizeModel(model, ACADEMIC_W8A8, calibration);
    // The MSE range now settles on the typical channels, and the scaled one fits it twice over.
    expect(channelMax(model, 'stage1_block1_relu1', 3) * 2).toBeLessThanOrEqual(rangeTop(after, 'stage1_block1_conv2'));
    // The received model is untouched.
    expect(channelMax(fp, 'stage1_block1_relu1', 3)).toBe(max);
    // academic-w8a8 keeps BN: a quantized model shares its full-precision graph.
    for (const m of new Set([after.model, model])) m.dispose();
    if (quantized.model !== fp) quantized.model.dispose();
  });

  it('leaves 4-bit activations alone: a scaled channel would keep too few steps', async () => {
    const quantized = await quantizeModel(fp, ACADEMIC_W4A4, calibration);
    const { model, outliers } = equalizeOutliers(fp, quantized, calibration, EQUALIZE_DEFAULTS);
    expect(model).toBe(fp);
    expect(outliers.length).toBeGreaterThan(0);
    for (const o of outliers) {
      expect(o.factor).toBe(1);
      expect(o.skipped).toMatch(/would keep .* of the 16 steps it needs/);
    }
    if (quantized.model !== fp) quantized.model.dispose();
  });

  it('finds nothing in a model without outliers, and leaks no tensor', async () => {
    const plain = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [16, 16, 16], seed: 2 });
    const quantized = await quantizeModel(plain, ACADEMIC_W8A8, calibration);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const { model, outliers } = equalizeOutliers(plain, quantized, calibration, EQUALIZE_DEFAULTS);
      expect(model).toBe(plain);
      expect(outliers).toEqual([]);
      const found = equalizeOutliers(fp, quantized, calibration, EQUALIZE_DEFAULTS);
      found.model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    if (quantized.model !== plain) quantized.model.dispose();
    plain.dispose();
  });
});

describe('resolveEqualizeOptions', () => {
  it('reads the run\'s overrides and rejects bad values in one line', () => {
    expect(resolveEqualizeOptions({})).toEqual(EQUALIZE_DEFAULTS);
    expect(resolveEqualizeOptions({ 'equalize.ratio': '5', 'equalize.headroom': 8 })).toMatchObject({ ratio: 5, headroom: 8, minLevels: 16 });
    expect(() => resolveEqualizeOptions({ 'equalize.ratio': 'x' })).toThrow(/--option equalize.ratio must be a number of at least 1, got "x"/);
  });
});
