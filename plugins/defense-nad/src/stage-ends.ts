import { nodeOutputShapes, type GraphModel } from '@qcb/core';

/**
 * The last node of every stage of a convolutional backbone: for each spatial size of the
 * nodes' feature maps (in the order the sizes first appear), the last node in topological
 * order whose output has that size. A stage ends where the resolution drops, so in a
 * ResNet these are the outputs (add + ReLU) of each stage's last block, the inputs of the
 * next stride-2 convolutions and of the global pooling; in a VGG, the ReLU before each
 * pooling. NAD distils the last three (its ResNet layer2 to layer4 groups).
 */
export function stageEnds(model: GraphModel): string[] {
  const shapes = nodeOutputShapes(model);
  const last = new Map<string, string>();
  for (const node of model.graph.nodes) {
    const shape = shapes.get(node.name);
    if (node.op === 'input' || !shape || shape.length !== 3) continue;
    // Map.set keeps a key's first position: stages stay in the order they start.
    last.set(`${shape[0]}x${shape[1]}`, node.name);
  }
  return [...last.values()];
}
