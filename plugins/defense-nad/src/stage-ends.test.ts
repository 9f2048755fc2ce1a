import { initBackend } from '@qcb/core';
import { resnetSmall, vggBn } from '@qcb/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageEnds } from './stage-ends.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('stageEnds', () => {
  it("is each ResNet stage's last block output (add + ReLU), whatever the blocks per stage", () => {
    const one = resnetSmall({ inputShape: [8, 8, 1], widths: [4, 8, 8] });
    expect(stageEnds(one)).toEqual(['stage1_block1_out', 'stage2_block1_out', 'stage3_block1_out']);
    const two = resnetSmall({ inputShape: [8, 8, 1], widths: [4, 8, 8], blocksPerStage: 2 });
    expect(stageEnds(two)).toEqual(['stage1_block2_out', 'stage2_block2_out', 'stage3_block2_out']);
    [one, two].forEach((m) => m.dispose());
  });

  it('is the ReLU before each pooling in a VGG', () => {
    const vgg = vggBn({ inputShape: [16, 16, 1], layers: [4, 'M', 8, 8, 'M', 8, 'M'] });
    expect(stageEnds(vgg)).toEqual(['relu1', 'relu3', 'relu4', 'pool3']);
    vgg.dispose();
  });
});
