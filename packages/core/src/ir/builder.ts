import * as tf from '@tensorflow/tfjs-core';
import type { Graph, GraphNode } from './graph.js';
import { opDef } from './ops/index.js';
import type {
  ActivationAttrs, BatchNormAttrs, Conv2DAttrs, DenseAttrs, DepthwiseConv2DAttrs, GlobalAvgPoolAttrs, LayerNormAttrs, Pool2DAttrs, QkvAttentionAttrs, ReshapeAttrs,
} from './ops/index.js';

type Pair = number | readonly [number, number];

function pair(v: Pair): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

export interface ConvOptions {
  readonly filters: number;
  readonly kernelSize: Pair;
  readonly strides?: Pair;
  readonly padding?: 'same' | 'valid';
  readonly useBias?: boolean;
  readonly activation?: string;
  readonly name?: string;
}

/** Kernel initialisation: He-normal (std sqrt(2 / fan_in), before ReLUs) or Glorot-normal (std sqrt(2 / (fan_in + fan_out))). */
export type KernelInit = 'he-normal' | 'glorot-normal';

/**
 * Builds graph IR models in code with freshly initialised variables (He-normal kernels
 * unless told otherwise, seeded), for the model zoo and for tests. Each method returns the
 * new node's name.
 */
export class GraphBuilder {
  private readonly nodes: GraphNode[] = [];
  private readonly counters = new Map<string, number>();
  private readonly shapes = new Map<string, readonly number[]>();
  private seed: number;
  private inputName?: string;

  constructor(
    private readonly name: string,
    private readonly inputShape: readonly number[],
    options: { seed?: number } = {},
  ) {
    this.seed = options.seed ?? 1;
  }

  private uniqueName(prefix: string, given?: string): string {
    if (given) return given;
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return `${prefix}_${n}`;
  }

  private channelsOf(node: string): number {
    const shape = this.shapeOf(node);
    return shape[shape.length - 1];
  }

  /** Output shape of a node, without the batch axis. */
  shapeOf(node: string): readonly number[] {
    const shape = this.shapes.get(node);
    if (!shape) throw new Error(`GraphBuilder: no node "${node}"`);
    return shape;
  }

  /** Runs the new node once on zeros to learn its output shape. */
  private inferShape(node: GraphNode): number[] {
    if (node.op === 'input') return [...this.inputShape];
    return tf.tidy(() => {
      const inputs = node.inputs.map((i) => tf.zeros([1, ...this.shapeOf(i)]));
      const ctx = { training: false, updateStats: false, param: (n: GraphNode, p: string) => n.params[p] };
      return opDef(node.op).forward(inputs, node, ctx).shape.slice(1);
    });
  }

  private heNormal(shape: number[], fanIn: number): tf.Variable {
    return this.normal(shape, Math.sqrt(2 / fanIn));
  }

  private normal(shape: number[], std: number): tf.Variable {
    return tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, std, 'float32', this.seed++)));
  }

  private add_<A>(op: string, prefix: string, inputs: string[], attrs: A, params: Record<string, tf.Variable> = {}, frozen: string[] = [], name?: string): string {
    const node: GraphNode<A> = { name: this.uniqueName(prefix, name), op, inputs, attrs, params, frozen };
    this.shapes.set(node.name, this.inferShape(node as GraphNode));
    this.nodes.push(node as GraphNode);
    return node.name;
  }

  input(name = 'input'): string {
    this.inputName = name;
    return this.add_('input', 'input', [], { shape: [...this.inputShape] }, {}, [], name);
  }

  conv2d(x: string, o: ConvOptions): string {
    const k = pair(o.kernelSize);
    const cin = this.channelsOf(x);
    const attrs: Conv2DAttrs = {
      filters: o.filters,
      kernelSize: k,
      strides: pair(o.strides ?? 1),
      padding: o.padding ?? 'same',
      dilation: [1, 1],
      useBias: o.useBias ?? true,
      activation: o.activation ?? 'linear',
    };
    const params: Record<string, tf.Variable> = { kernel: this.heNormal([k[0], k[1], cin, o.filters], k[0] * k[1] * cin) };
    if (attrs.useBias) params['bias'] = tf.tidy(() => tf.variable(tf.zeros([o.filters])));
    return this.add_('conv2d', 'conv2d', [x], attrs, params, [], o.name);
  }

  depthwiseConv2d(x: string, o: Omit<ConvOptions, 'filters'> & { depthMultiplier?: number }): string {
    const k = pair(o.kernelSize);
    const cin = this.channelsOf(x);
    const m = o.depthMultiplier ?? 1;
    const attrs: DepthwiseConv2DAttrs = {
      kernelSize: k,
      strides: pair(o.strides ?? 1),
      padding: o.padding ?? 'same',
      dilation: [1, 1],
      depthMultiplier: m,
      useBias: o.useBias ?? true,
      activation: o.activation ?? 'linear',
    };
    const params: Record<string, tf.Variable> = { depthwiseKernel: this.heNormal([k[0], k[1], cin, m], k[0] * k[1]) };
    if (attrs.useBias) params['bias'] = tf.tidy(() => tf.variable(tf.zeros([cin * m])));
    return this.add_('depthwiseConv2d', 'depthwise_conv2d', [x], attrs, params, [], o.name);
  }

  /** A dense layer on the last axis (of a feature vector or of every token of a sequence). */
  dense(x: string, o: { units: number; useBias?: boolean; activation?: string; init?: KernelInit; name?: string }): string {
    const cin = this.channelsOf(x);
    const attrs: DenseAttrs = { units: o.units, useBias: o.useBias ?? true, activation: o.activation ?? 'linear' };
    const kernel = o.init === 'glorot-normal' ? this.normal([cin, o.units], Math.sqrt(2 / (cin + o.units))) : this.heNormal([cin, o.units], cin);
    const params: Record<string, tf.Variable> = { kernel };
    if (attrs.useBias) params['bias'] = tf.tidy(() => tf.variable(tf.zeros([o.units])));
    return this.add_('dense', 'dense', [x], attrs, params, [], o.name);
  }

  batchNorm(x: string, o: { epsilon?: number; momentum?: number; name?: string } = {}): string {
    const c = this.channelsOf(x);
    // Momentum 0.9 (PyTorch's 0.1): moving statistics settle within a short training run.
    const attrs: BatchNormAttrs = { epsilon: o.epsilon ?? 1e-3, momentum: o.momentum ?? 0.9, center: true, scale: true };
    // tidy: each variable shares its initial tensor's data; the initial tensors must go.
    const params = tf.tidy(() => ({
      gamma: tf.variable(tf.ones([c])),
      beta: tf.variable(tf.zeros([c])),
      movingMean: tf.variable(tf.zeros([c]), false),
      movingVariance: tf.variable(tf.ones([c]), false),
    }));
    return this.add_('batchNorm', 'batch_normalization', [x], attrs, params, ['movingMean', 'movingVariance'], o.name);
  }

  activation(x: string, fn: string, name?: string): string {
    const attrs: ActivationAttrs = { kind: 'named', fn };
    return this.add_('activation', fn, [x], attrs, {}, [], name);
  }

  relu(x: string, name?: string): string {
    return this.activation(x, 'relu', name);
  }

  /** min(max(x, 0), 6), exported as Keras `ReLU(max_value=6)` as Keras' MobileNetV2 has it. */
  relu6(x: string, name?: string): string {
    const attrs: ActivationAttrs = { kind: 'relu', maxValue: 6, negativeSlope: 0, threshold: 0 };
    return this.add_('activation', 're_lu', [x], attrs, {}, [], name);
  }

  /** Layer normalisation over the last axis (gamma 1, beta 0). */
  layerNorm(x: string, o: { epsilon?: number; name?: string } = {}): string {
    const c = this.channelsOf(x);
    const attrs: LayerNormAttrs = { axis: -1, epsilon: o.epsilon ?? 1e-6, center: true, scale: true };
    const params = tf.tidy(() => ({ gamma: tf.variable(tf.ones([c])), beta: tf.variable(tf.zeros([c])) }));
    return this.add_('layerNorm', 'layer_normalization', [x], attrs, params, [], o.name);
  }

  reshape(x: string, targetShape: readonly number[], name?: string): string {
    const attrs: ReshapeAttrs = { targetShape: [...targetShape] };
    return this.add_('reshape', 'reshape', [x], attrs, {}, [], name);
  }

  /** Multi-head self-attention on a fused [tokens, 3 d] q/k/v projection (see ops/qkv-attention.ts). */
  qkvAttention(x: string, heads: number, name?: string): string {
    const attrs: QkvAttentionAttrs = { heads };
    return this.add_('qkvAttention', 'qkv_attention', [x], attrs, {}, [], name);
  }

  /** Adds a learned [tokens, features] table, initialised N(0, std) (0.02 as in ViT). */
  positionEmbedding(x: string, o: { std?: number; name?: string } = {}): string {
    const [tokens, features] = this.shapeOf(x);
    const params = { embeddings: this.normal([tokens, features], o.std ?? 0.02) };
    return this.add_('positionEmbedding', 'add_position_embedding', [x], {}, params, [], o.name);
  }

  add(inputs: string[], name?: string): string {
    return this.add_('add', 'add', inputs, {}, {}, [], name);
  }

  maxPool(x: string, size: Pair, strides?: Pair, padding: 'same' | 'valid' = 'valid', name?: string): string {
    const attrs: Pool2DAttrs = { poolSize: pair(size), strides: pair(strides ?? size), padding };
    return this.add_('maxPool', 'max_pooling2d', [x], attrs, {}, [], name);
  }

  avgPool(x: string, size: Pair, strides?: Pair, padding: 'same' | 'valid' = 'valid', name?: string): string {
    const attrs: Pool2DAttrs = { poolSize: pair(size), strides: pair(strides ?? size), padding };
    return this.add_('avgPool', 'average_pooling2d', [x], attrs, {}, [], name);
  }

  /** The mean over the spatial axes of a feature map, or over the tokens of a sequence. */
  globalAvgPool(x: string, name?: string): string {
    const sequence = this.shapeOf(x).length === 2;
    const attrs: GlobalAvgPoolAttrs = sequence ? { keepDims: false, spatialDims: 1 } : { keepDims: false };
    return this.add_('globalAvgPool', sequence ? 'global_average_pooling1d' : 'global_average_pooling2d', [x], attrs, {}, [], name);
  }

  flatten(x: string, name?: string): string {
    return this.add_('flatten', 'flatten', [x], {}, {}, [], name);
  }

  dropout(x: string, rate: number, name?: string): string {
    return this.add_('dropout', 'dropout', [x], { rate }, {}, [], name);
  }

  build(output: string): Graph {
    if (!this.inputName) throw new Error('GraphBuilder: call input() first');
    this.shapeOf(output);
    return { name: this.name, input: this.inputName, inputShape: this.inputShape, nodes: [...this.nodes], output };
  }
}

