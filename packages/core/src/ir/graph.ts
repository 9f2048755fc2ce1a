import type * as tf from '@tensorflow/tfjs-core';

import type { JsonObject, JsonValue } from '../io/folder/json.js';

export type { JsonValue };
/** A JSON object as it appears in model.json layer configs. */
export type JsonMap = JsonObject;

/**
 * One node of the graph IR. Parameters are `tf.Variable`s so that any subset can be
 * trained; `attrs` are the op's static settings (typed per op, see `ir/ops/*`).
 */
export interface GraphNode<A = unknown> {
  readonly name: string;
  readonly op: string;
  readonly inputs: readonly string[];
  readonly attrs: A;
  readonly params: Readonly<Record<string, tf.Variable>>;
  /** Params that training never updates through gradients (BN moving statistics). */
  readonly frozen: readonly string[];
  /** The layer's original Keras config, kept so that export reproduces it faithfully. */
  readonly kerasConfig?: JsonMap;
}

/** A single-input, single-output directed acyclic graph in topological order. */
export interface Graph {
  readonly name: string;
  /** Name of the `input` node. */
  readonly input: string;
  /** Input shape without the batch dimension, e.g. [28, 28, 1]. */
  readonly inputShape: readonly number[];
  readonly nodes: readonly GraphNode[];
  readonly output: string;
}
