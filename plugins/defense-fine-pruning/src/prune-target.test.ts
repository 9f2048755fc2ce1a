import { GraphBuilder, GraphModel, initBackend } from '@qcb/core';
import { resnetSmall, vggBn } from '@qcb/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { channelRows } from './channel-mask.js';
import { leastActive } from './channel-ranking.js';
import { pruneTarget } from './prune-target.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** conv (4 channels, 2x2) -> ReLU -> dropout -> flatten -> dense. */
function flatHead(): GraphModel {
  const b = new GraphBuilder('flat', [2, 2, 1], { seed: 3 });
  const x = b.relu(b.conv2d(b.input(), { filters: 4, kernelSize: 3, name: 'conv' }), 'relu');
  return new GraphModel(b.build(b.dense(b.flatten(b.dropout(x, 0.5, 'drop'), 'flat'), { units: 3, name: 'head' })));
}

describe('pruneTarget', () => {
  it("is a ResNet's last block output, the input of the global pooling before the dense head", () => {
    const model = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8] });
    expect(pruneTarget(model)).toEqual({ feature: 'stage3_block1_out', head: 'logits', channels: 8, positions: 1 });
    model.dispose();
  });

  it('is the last pooling of a VGG, and a flattened feature map with one row per position and channel', () => {
    const vgg = vggBn({ inputShape: [16, 16, 1], layers: [4, 'M', 8, 'M'] });
    expect(pruneTarget(vgg)).toEqual({ feature: 'pool2', head: 'logits', channels: 8, positions: 1 });
    const flat = flatHead();
    expect(pruneTarget(flat)).toEqual({ feature: 'drop', head: 'head', channels: 4, positions: 4 });
    // Channel 1 of a 2x2x4 map feeds rows 1, 5, 9, 13 of the flattened input.
    expect(channelRows(pruneTarget(flat), [1])).toEqual([1, 5, 9, 13]);
    [vgg, flat].forEach((m) => m.dispose());
  });

  it('refuses a graph where zeroing the head\'s inputs would not remove a channel, in one line', () => {
    const a = new GraphBuilder('merged', [4, 4, 1], { seed: 1 });
    const f = a.relu(a.conv2d(a.input(), { filters: 2, kernelSize: 1, name: 'c' }), 'r');
    const sum = a.add([a.globalAvgPool(f, 'gap1'), a.globalAvgPool(a.relu(f, 'r2'), 'gap2')], 'sum');
    const merged = new GraphModel(a.build(a.dense(sum, { units: 2, name: 'head' })));
    expect(() => pruneTarget(merged)).toThrow(/^fine-pruning: graph "merged" has no convolutional feature map feeding its head "head" through global pooling or flatten \(met a add node "sum"\)$/);
    const b = new GraphBuilder('nohead', [4, 4, 1], { seed: 1 });
    const noHead = new GraphModel(b.build(b.globalAvgPool(b.conv2d(b.input(), { filters: 2, kernelSize: 1, name: 'c' }), 'gap')));
    expect(() => pruneTarget(noHead)).toThrow('fine-pruning: graph "nohead" has no dense head (its output comes from a globalAvgPool node "gap")');
    [merged, noHead].forEach((m) => m.dispose());
  });
});

describe('leastActive', () => {
  it('takes floor(rate x channels) channels in ascending order of mean activation, ties to the lower index', () => {
    expect(leastActive([0.5, 0.1, 0.9, 0, 0.1, 2, 0.3, 0.05], 0.4)).toEqual([1, 3, 7]);
    expect(leastActive([0, 0, 0, 1], 0.5)).toEqual([0, 1]);
    expect(leastActive([3, 2, 1], 0)).toEqual([]);
    expect(leastActive([3, 2, 1], 1)).toEqual([0, 1, 2]);
  });
});
