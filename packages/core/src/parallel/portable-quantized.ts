import { GraphModel } from '../ir/graph-model.js';
import type { JsonObject } from '../io/folder/index.js';
import { parseQuantJson, quantJsonOf } from '../quant/quant-json.js';
import { QuantizedModel } from '../quant/quantized-model.js';
import { fromPortableGraph, toPortableGraph, type PortableGraph } from './portable-graph.js';

/** A quantized model as plain data (its graph and quant.json): what a pool worker rebuilds. */
export interface PortableQuantized {
  readonly graph: PortableGraph;
  readonly quantJson: JsonObject;
  readonly weightsOnGrid: boolean;
}

export function toPortableQuantized(q: QuantizedModel): PortableQuantized {
  return { graph: toPortableGraph(q.model.graph), quantJson: quantJsonOf(q) as unknown as JsonObject, weightsOnGrid: q.parts.weightsOnGrid };
}

/** The quantized model with the same weights, grids and activation quantizers (the caller disposes its model). */
export function fromPortableQuantized(p: PortableQuantized): QuantizedModel {
  const model = new GraphModel(fromPortableGraph(p.graph));
  const parsed = parseQuantJson(p.quantJson, 'quant.json', new Set(model.graph.nodes.map((n) => n.name)));
  return new QuantizedModel({ model, profile: parsed.profile, foldedBatchNorm: parsed.foldedBatchNorm, weights: parsed.weights, activations: parsed.activations, weightsOnGrid: p.weightsOnGrid });
}
