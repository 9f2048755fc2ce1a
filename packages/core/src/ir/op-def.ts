import type * as tf from '@tensorflow/tfjs-core';
import type { GraphNode, JsonMap } from './graph.js';

/**
 * What a node is for. `compute` nodes (conv, depthwise conv, dense) start calibration
 * units and carry the weights a quantizer rounds; `merge` nodes (add) end a unit.
 * `attention` mixes the tokens of a sequence without weights of its own (the dense node
 * before it holds them); `embedding` adds a learned table that no quantizer rounds.
 */
export type OpRole = 'input' | 'compute' | 'norm' | 'activation' | 'merge' | 'pool' | 'shape' | 'attention' | 'embedding';

/** Per-run settings a node's forward sees. */
export interface ForwardContext {
  /** Batch statistics in BN, active dropout. */
  readonly training: boolean;
  /** Update BN moving statistics from the batch (only when training). */
  readonly updateStats: boolean;
  /** A parameter as the forward must use it (possibly fake-quantized by a transform). */
  param(node: GraphNode, name: string): tf.Tensor;
  /**
   * The seed of a training-mode dropout node's mask in this run (GraphExecutor.seedDropout);
   * undefined: unseeded, tfjs's own generator.
   */
  dropoutSeed?(node: GraphNode): number | undefined;
  /** Batch statistics a training-mode BN must use instead of its own (shared across branches). */
  batchStats?(node: GraphNode): BatchStats | undefined;
}

/** Per-channel mean and (biased) variance of a BN's input batch. */
export interface BatchStats {
  readonly mean: tf.Tensor;
  readonly variance: tf.Tensor;
}

/** A Keras layer as read from a layers-format topology. */
export interface KerasLayer {
  readonly className: string;
  readonly name: string;
  readonly config: JsonMap;
}

/** Fetches a stored weight of the layer being imported; throws if it is missing. */
export type WeightLookup = (weightName: string) => tf.Tensor;

export interface ImportedLayer<A> {
  readonly attrs: A;
  /** Parameter tensors, in the order the Keras layer stores them. */
  readonly params: Readonly<Record<string, tf.Tensor>>;
  /** Params that gradient descent never touches (BN moving statistics). */
  readonly frozen?: readonly string[];
}

export interface ExportedLayer {
  readonly className: string;
  readonly config: JsonMap;
  /** Weight names in Keras order, mapped from this node's params. */
  readonly weights: ReadonlyArray<readonly [kerasName: string, param: string]>;
}

/** One op of the IR: its forward and its mapping to and from Keras layers. */
export interface OpDef<A> {
  readonly op: string;
  readonly role: OpRole;
  /** Keras layer classes imported as this op. */
  readonly kerasClasses: readonly string[];
  /** Number of inputs, or 'many' for merges. */
  readonly arity: 1 | 'many' | 0;
  forward(inputs: readonly tf.Tensor[], node: GraphNode<A>, ctx: ForwardContext): tf.Tensor;
  fromKeras(layer: KerasLayer, weight: WeightLookup): ImportedLayer<A>;
  toKeras(node: GraphNode<A>): ExportedLayer;
}
