import * as tf from '@tensorflow/tfjs-core';
import type { NodeTransform } from '../ir/executor.js';
import { GraphModel } from '../ir/graph-model.js';
import { cloneGraph } from '../ir/clone-graph.js';
import type { QuantParams } from '../kernel/hook-types.js';
import { fakeQuant } from './fake-quant.js';
import { weightParamOf, withChannelsLast } from './weight-view.js';

export interface QuantizedModelParts {
  /** The model the params belong to (BN already folded when the profile folds). */
  readonly model: GraphModel;
  readonly profile: string;
  readonly foldedBatchNorm: boolean;
  /** Per compute node: its weight's grid. */
  readonly weights: ReadonlyMap<string, QuantParams>;
  /** Per compute node: the grid of its input activation. */
  readonly activations: ReadonlyMap<string, QuantParams>;
  /** The model's weights already lie on their grids (a baked model). */
  readonly weightsOnGrid: boolean;
}

/**
 * A model with its quantization: runs it as the deployed integer model would (weights on
 * their grids, activations fake-quantized at every conv/dense input), and bakes it.
 */
export class QuantizedModel {
  constructor(readonly parts: QuantizedModelParts) {}

  get model(): GraphModel {
    return this.parts.model;
  }

  /** Fake-quantizes one compute node's weight with its params (STE gradient). */
  quantizeWeight(nodeName: string, w: tf.Tensor): tf.Tensor {
    const p = this.parts.weights.get(nodeName);
    if (!p) return w;
    return withChannelsLast(this.model.node(nodeName), w, (view) => fakeQuant(view, p));
  }

  /** The node transform that simulates the quantized model. */
  transform(options: { weights?: boolean; activations?: boolean } = {}): NodeTransform {
    const quantizeWeights = (options.weights ?? true) && !this.parts.weightsOnGrid;
    const quantizeActivations = options.activations ?? true;
    const { activations } = this.parts;
    return {
      param: quantizeWeights
        ? (node, name, value) => (name === weightParamOf(node) ? this.quantizeWeight(node.name, value) : value)
        : undefined,
      inputs: quantizeActivations
        ? (node, ins) => {
            const p = activations.get(node.name);
            return p ? [fakeQuant(ins[0], p), ...ins.slice(1)] : ins;
          }
        : undefined,
    };
  }

  predict(x: tf.Tensor): tf.Tensor {
    return this.model.predict(x, { transform: this.transform() });
  }

  /** A copy whose weights lie on their grids; activations still need `transform()`. */
  bake(): QuantizedModel {
    const graph = cloneGraph(this.model.graph);
    const baked = new GraphModel(graph);
    if (!this.parts.weightsOnGrid) {
      for (const node of graph.nodes) {
        const param = weightParamOf(node);
        if (!param || !this.parts.weights.has(node.name)) continue;
        const v = node.params[param];
        const q = tf.tidy(() => this.quantizeWeight(node.name, v));
        v.assign(q);
        q.dispose();
      }
    }
    return new QuantizedModel({ ...this.parts, model: baked, weightsOnGrid: true });
  }
}
