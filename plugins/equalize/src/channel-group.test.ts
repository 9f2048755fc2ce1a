import { GraphBuilder } from '@qcb/core';
import { resnetSmall } from '@qcb/models';
import { describe, expect, it } from 'vitest';
import { channelGroup, type ChannelGroup } from './channel-group.js';

const names = (g: ChannelGroup): { tensors: string[]; producers: string[]; consumers: string[] } => ({
  tensors: [...g.tensors].sort(), producers: g.producers.map((n) => n.name).sort(), consumers: g.consumers.map((n) => n.name).sort(),
});

describe('channelGroup', () => {
  const graph = resnetSmall({ inputShape: [8, 8, 1], classes: 4, widths: [4, 8, 8], seed: 1 }).graph;

  it('follows a block\'s inner ReLU to its BatchNorm and its conv', () => {
    const group = channelGroup(graph, 'stage1_block1_relu1');
    expect('blockedBy' in group).toBe(false);
    expect(names(group as ChannelGroup)).toEqual({ tensors: ['stage1_block1_bn1', 'stage1_block1_relu1'], producers: ['stage1_block1_bn1'], consumers: ['stage1_block1_conv2'] });
  });

  it('follows a residual stream through the add to both branches and to every reader', () => {
    expect(names(channelGroup(graph, 'stage1_block1_out') as ChannelGroup)).toEqual({
      tensors: ['stage1_block1_add', 'stage1_block1_bn2', 'stage1_block1_out', 'stem_bn', 'stem_relu'],
      producers: ['stage1_block1_bn2', 'stem_bn'],
      consumers: ['stage1_block1_conv1', 'stage2_block1_conv1', 'stage2_block1_shortcut'],
    });
    // Through the global pooling to the classifier's input rows.
    expect(names(channelGroup(graph, 'stage3_block1_out') as ChannelGroup).consumers).toEqual(['logits']);
  });

  it('is blocked by the network\'s output and by ops that do not pass a per-channel scale', () => {
    expect(channelGroup(graph, 'logits')).toEqual({ blockedBy: 'logits' });
    const b = new GraphBuilder('blocked', [4, 4, 1], { seed: 1 });
    const conv = b.conv2d(b.input(), { filters: 3, kernelSize: 1, name: 'conv' });
    const capped = b.relu6(b.batchNorm(conv, { name: 'bn' }), 'capped');
    const flat = b.flatten(b.relu(b.batchNorm(b.conv2d(capped, { filters: 3, kernelSize: 1, name: 'conv2' }), { name: 'bn2' }), 'relu2'), 'flat');
    const blocked = b.build(b.dense(flat, { units: 2, name: 'out' }));
    expect(channelGroup(blocked, 'capped')).toEqual({ blockedBy: 'capped' });
    expect(channelGroup(blocked, 'relu2')).toEqual({ blockedBy: 'flat' });
  });
});
