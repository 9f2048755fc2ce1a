import { QcbError, nodeOutputShapes, type GraphModel, type GraphNode } from '@qcb/core';

/** Where fine-pruning ranks channels and where it cuts them. */
export interface PruneTarget {
  /** The feature map whose channels are ranked: the input of the global pooling (or flatten) before the head. */
  readonly feature: string;
  /** The dense head; a pruned channel's input rows of its kernel are zeroed. */
  readonly head: string;
  readonly channels: number;
  /** Spatial positions per channel at the head's input: 1 after global pooling, H x W after a flatten. */
  readonly positions: number;
}

/** Element-wise or shape-only nodes between the feature map and the head: feature j only reaches feature j. */
const PASS_THROUGH = new Set(['activation', 'dropout']);

function fail(model: GraphModel, why: string): never {
  throw new QcbError('E_USAGE', `fine-pruning: graph "${model.graph.name}" ${why}`);
}

/** The dense node that makes the output, through trailing activations or dropout. */
function denseHead(model: GraphModel): GraphNode {
  let node = model.node(model.graph.output);
  while (PASS_THROUGH.has(node.op)) node = model.node(node.inputs[0]);
  if (node.op !== 'dense') fail(model, `has no dense head (its output comes from a ${node.op} node "${node.name}")`);
  return node;
}

/**
 * The last convolutional stage as fine-pruning sees it, found on any graph: walking back
 * from the dense head through activations and dropout, the input of the first global
 * average pooling (or of a flatten of a feature map) met. On a ResNet that is the last
 * block's output (add + ReLU), the layer BackdoorBox prunes (`layer4`); its channel means
 * are the means of the head's inputs that BackdoorBench ranks. Only element-wise and
 * shape nodes may stand between the feature map and the head (the head is the output's
 * only source), so a channel reaches the output through its rows of the head's kernel
 * alone: zeroing them removes all of its contribution.
 */
export function pruneTarget(model: GraphModel): PruneTarget {
  const head = denseHead(model);
  const shapes = nodeOutputShapes(model);
  let node = model.node(head.inputs[0]);
  let pooled = false;
  for (;;) {
    const shape = shapes.get(node.name) ?? [];
    if (node.op === 'globalAvgPool') pooled = true;
    else if (node.op === 'flatten') {
      // A flatten of pooled [1, 1, C] features keeps channel order; go on to the pooling.
    } else if (shape.length === 3) break;
    else if (!PASS_THROUGH.has(node.op)) fail(model, `has no convolutional feature map feeding its head "${head.name}" through global pooling or flatten (met a ${node.op} node "${node.name}")`);
    node = model.node(node.inputs[0]);
  }
  const [h, w, channels] = shapes.get(node.name)!;
  const positions = pooled ? 1 : h * w;
  const rows = head.params['kernel'].shape[0];
  if (rows !== positions * channels) fail(model, `head "${head.name}" has ${rows} inputs for ${positions} x ${channels} features of "${node.name}"`);
  return { feature: node.name, head: head.name, channels, positions };
}
