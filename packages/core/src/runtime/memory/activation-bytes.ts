import type { Graph, GraphNode } from '../../ir/graph.js';
import type { GraphModel } from '../../ir/graph-model.js';
import { nodeOutputShapes } from '../../ir/node-shapes.js';
import { isComputeNode } from '../../ir/units.js';

/** float32: every activation qcb computes. */
const BYTES_PER_VALUE = 4;

/**
 * Copies of the input a batch holds besides the forward pass: the batch itself and its
 * normalised copy (x - mean, then / std).
 */
const INPUT_COPIES = 3;

/**
 * A fake-quantized activation (quant/fake-quant.ts) is one kept tensor, computed in a tidy
 * that briefly holds six of the input's size (x / s, round, + zp, clamp, - zp, * s).
 */
const FAKE_QUANT_TRANSIENT = 6;

/**
 * Training holds every forward tensor until the backward pass is done, plus the gradients
 * flowing back and the kernels' scratch tensors: at most this many bytes per forward byte
 * (measured with tf.profile on the wasm backend: a MobileNetV2-like at 224x224 holds 3.0x
 * its inference bytes; memory.test.ts checks the test models). Layer norm and attention
 * backpropagate through more intermediates (HEAVY_BACKWARD).
 */
const TRAINING_FACTOR = 2;
const HEAVY_BACKWARD = 3;

function trainingFactor(node: GraphNode): number {
  if (node.op === 'layerNorm' || node.op === 'qkvAttention') return HEAVY_BACKWARD;
  const attrs = node.attrs as { kind?: string; fn?: string; activation?: unknown };
  return attrs.activation === 'gelu' || attrs.fn === 'gelu' ? HEAVY_BACKWARD : TRAINING_FACTOR;
}

/** Per-parameter bytes of a training step: the gradient and the optimizer's temporaries. */
const TRAINING_PARAM_COPIES = 4;

export type ExecutionKind = 'inference' | 'training';

export interface ActivationBytesOptions {
  /** 'inference' (default): a forward pass in a tidy; 'training': forward and backward. */
  readonly kind?: ExecutionKind;
  /** Nodes whose first input is fake-quantized (a quantized model's activation quantizers). */
  readonly quantizedInputs?: ReadonlySet<string>;
  /** Weights fake-quantized on every pass (a quantized model whose weights are not yet on their grids). */
  readonly quantizedWeights?: boolean;
  /** Only these nodes run (e.g. the part of the graph up to a unit's input); default every node. */
  readonly nodes?: ReadonlySet<string>;
  /**
   * Training runs the forward in training mode (default: BN on the batch's statistics, active
   * dropout); false for gradients through a model in inference mode (LAC's unit steps).
   */
  readonly trainingMode?: boolean;
}

/** What one pass over a batch holds at its peak, as `fixed + batch * perSample` bytes. */
export interface ActivationBytes {
  readonly perSample: number;
  /** Bytes that do not grow with the batch (fake-quantized weights, parameter gradients). */
  readonly fixed: number;
  /** The largest single tensor of one sample: one allocation must hold it times the batch. */
  readonly largestPerSample: number;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Tensors of its input's size an activation by name makes (ir/activations.ts): GELU is five ops. */
const ACTIVATION_COPIES: Readonly<Record<string, number>> = { linear: 0, gelu: 5, swish: 2, silu: 2, hard_sigmoid: 3, softsign: 3 };

function namedActivationCopies(name: unknown): number {
  if (name === undefined) return 0;
  return typeof name === 'string' ? ACTIVATION_COPIES[name] ?? 1 : 2;
}

/** Copies an `activation` node makes (ops/activation.ts): one op, or several for a shifted or leaky ReLU. */
function activationNodeCopies(attrs: unknown): number {
  const a = attrs as { kind?: string; fn?: string; negativeSlope?: number; threshold?: number; maxValue?: number | null };
  if (a.kind === 'named') return namedActivationCopies(a.fn);
  if (a.kind === 'relu') return a.negativeSlope === 0 && a.threshold === 0 ? (a.maxValue === null || a.maxValue === 6 ? 1 : 2) : 5;
  return 2;
}

/**
 * Values per sample a node's forward leaves in the tidy (ir/ops/*), from its output and
 * input shapes: a conv or dense adds its bias and its activation as separate ops, inference
 * BN is x * scale + shift, GELU is five ops, attention holds its q, k, v copies and a tokens x
 * tokens score matrix per head. Ops not listed count two outputs.
 */
export function nodeValues(node: GraphNode, output: readonly number[], input: readonly number[], kind: ExecutionKind, trainingMode = kind === 'training'): number {
  const out = sizeOf(output);
  switch (node.op) {
    case 'input':
      return 0;
    // A reshape shares its input's data, but the engine counts the new tensor's bytes.
    case 'flatten':
    case 'reshape':
      return out;
    case 'dropout':
      return trainingMode ? 3 * out : 0;
    case 'conv2d':
    case 'depthwiseConv2d':
    case 'dense': {
      const attrs = node.attrs as { useBias?: boolean; activation?: unknown };
      // Dense on tokens ([batch, tokens, channels]) reshapes to 2-D and back.
      const reshapes = node.op === 'dense' && input.length >= 2 ? sizeOf(input) + out : 0;
      return (1 + (attrs.useBias ? 1 : 0) + namedActivationCopies(attrs.activation)) * out + reshapes;
    }
    case 'activation':
      return activationNodeCopies(node.attrs) * out;
    // Training: x - mean, its square, x-hat, the output and the moments (ops/batch-norm-train.ts).
    case 'batchNorm':
      return (trainingMode ? 5 : 2) * out;
    // tf.moments' cast and squared deviations, x - mean, * rsqrt, * gamma, + beta.
    case 'layerNorm':
      return 7 * out;
    // The split of q, k, v (the input), their per-head reshapes and transposes, the scaled q,
    // the context, its transpose and reshape (ten outputs), scores and their softmax (two
    // tokens x tokens per head).
    case 'qkvAttention': {
      const tokens = input[0] ?? 0;
      const heads = (node.attrs as { heads?: number }).heads ?? 1;
      return sizeOf(input) + 10 * out + 2 * tokens * tokens * heads;
    }
    case 'add':
    case 'maxPool':
    case 'avgPool':
    case 'globalAvgPool':
    case 'zeroPad':
    case 'positionEmbedding':
      return out;
    default:
      return 2 * out;
  }
}

/**
 * Bytes a pass over a batch holds at its peak, from each node's output shape (`shapes`, per
 * sample, as nodeOutputShapes gives them): a forward pass inside a tidy keeps every tensor
 * it made until the pass ends, so the peak is their sum, plus the fake-quantized copies of
 * quantized inputs and the largest transient of one fake quantization.
 */
export function activationBytes(graph: Graph, shapes: ReadonlyMap<string, readonly number[]>, o: ActivationBytesOptions = {}): ActivationBytes {
  const kind = o.kind ?? 'inference';
  const runs = (n: GraphNode): boolean => o.nodes === undefined || o.nodes.has(n.name);
  // A pass fed elsewhere than at the graph's input (a unit on its cache) holds no image batch.
  const fromImages = o.nodes === undefined || o.nodes.has(graph.input);
  const factor = kind === 'training' ? TRAINING_FACTOR : 1;
  let values = fromImages ? factor * INPUT_COPIES * sizeOf(graph.inputShape) : 0;
  let largest = fromImages ? sizeOf(graph.inputShape) : 0;
  let transient = 0;
  let weightValues = 0;
  let largestWeight = 0;
  let paramValues = 0;
  for (const node of graph.nodes) {
    if (!runs(node)) continue;
    const outShape = shapes.get(node.name) ?? [];
    const inShape = node.inputs.length === 0 ? [] : node.inputs[0] === graph.input ? graph.inputShape : shapes.get(node.inputs[0]) ?? [];
    values += nodeValues(node, outShape, inShape, kind, kind === 'training' && o.trainingMode !== false) * (kind === 'training' ? trainingFactor(node) : 1);
    largest = Math.max(largest, sizeOf(outShape));
    if (o.quantizedInputs?.has(node.name) && node.inputs.length > 0) {
      const input = sizeOf(inShape);
      values += factor * input;
      transient = Math.max(transient, FAKE_QUANT_TRANSIENT * input);
    }
    for (const v of Object.values(node.params)) {
      paramValues += v.size;
      if (!isComputeNode(node)) continue;
      weightValues += v.size;
      largestWeight = Math.max(largestWeight, v.size);
    }
  }
  const perSample = values + factor * transient;
  let fixed = o.quantizedWeights ? weightValues + FAKE_QUANT_TRANSIENT * largestWeight : 0;
  if (kind === 'training') fixed += TRAINING_PARAM_COPIES * paramValues;
  return { perSample: Math.ceil(perSample * BYTES_PER_VALUE), fixed: fixed * BYTES_PER_VALUE, largestPerSample: largest * BYTES_PER_VALUE };
}

/** `activationBytes(...).perSample`: the bytes one more sample adds to a pass. */
export function activationBytesPerSample(graph: Graph, shapes: ReadonlyMap<string, readonly number[]>, o: ActivationBytesOptions = {}): number {
  return activationBytes(graph, shapes, o).perSample;
}

const SHAPES = new WeakMap<Graph, ReadonlyMap<string, readonly number[]>>();

/** Every node's output shape of a model, computed once per graph (one forward pass of one zero sample). */
export function modelShapes(model: GraphModel): ReadonlyMap<string, readonly number[]> {
  let shapes = SHAPES.get(model.graph);
  if (shapes === undefined) {
    shapes = nodeOutputShapes(model);
    SHAPES.set(model.graph, shapes);
  }
  return shapes;
}

/** activationBytes of a model, its shapes computed (once) by running it on one zero sample. */
export function modelActivationBytes(model: GraphModel, o: ActivationBytesOptions = {}): ActivationBytes {
  return activationBytes(model.graph, modelShapes(model), o);
}
