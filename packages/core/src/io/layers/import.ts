import * as tf from '@tensorflow/tfjs-core';
import { QcbError, isQcbError } from '../../errors.js';
import type { Graph, GraphNode } from '../../ir/graph.js';
import type { ImportedLayer, WeightLookup } from '../../ir/op-def.js';
import { opForKerasClass } from '../../ir/ops/index.js';
import type { LayersModelJson, NamedWeight } from '../folder/types.js';
import { readTopology, type TopologyLayer } from './topology.js';

/** Finds `layer/weight` among stored names, allowing an outer-model prefix. */
function weightLookup(layer: string, weights: ReadonlyMap<string, NamedWeight>): WeightLookup {
  return (weightName) => {
    const exact = `${layer}/${weightName}`;
    let found = weights.get(exact) ?? weights.get(`${exact}:0`);
    if (!found) {
      const matches = [...weights.keys()].filter((k) => k.endsWith(`/${exact}`) || k.endsWith(`/${exact}:0`));
      if (matches.length > 1) {
        throw new QcbError('E_MODEL_JSON', `layer "${layer}": weight "${weightName}" is ambiguous (${matches.join(', ')})`);
      }
      found = matches.length === 1 ? weights.get(matches[0]) : undefined;
    }
    if (!found) throw new QcbError('E_MODEL_JSON', `layer "${layer}": weight "${exact}" is missing from the weights manifest`);
    return tf.tensor(found.values, found.shape, found.dtype);
  };
}

function importLayer(layer: TopologyLayer, weights: ReadonlyMap<string, NamedWeight>, inputShape: readonly number[]): GraphNode {
  let def;
  try {
    def = opForKerasClass(layer.className);
  } catch (e) {
    if (isQcbError(e)) throw new QcbError(e.code, `layer "${layer.name}": ${e.message}`);
    throw e;
  }
  // Weight tensors made for the import live only until they become variables.
  let imported: ImportedLayer<unknown>;
  tf.engine().startScope();
  try {
    imported = def.fromKeras(layer, weightLookup(layer.name, weights));
    Object.values(imported.params).forEach((t) => tf.keep(t));
  } finally {
    tf.engine().endScope();
  }
  const params: Record<string, tf.Variable> = {};
  for (const [name, t] of Object.entries(imported.params)) {
    params[name] = tf.variable(t, !(imported.frozen ?? []).includes(name));
    t.dispose();
  }
  const attrs = def.op === 'input' ? { shape: [...inputShape] } : imported.attrs;
  return {
    name: layer.name,
    op: def.op,
    inputs: layer.inbound,
    attrs,
    params,
    frozen: imported.frozen ?? [],
    kerasConfig: layer.config,
  };
}

/**
 * Builds the graph IR from a layers-format model. Fails with a QcbError naming the
 * layer on an unsupported class, a missing weight or an inconsistent shape.
 */
export function graphFromLayersModel(modelJson: LayersModelJson, weights: ReadonlyMap<string, NamedWeight>): Graph {
  const topology = readTopology(modelJson.modelTopology);
  const nodes: GraphNode[] = [];
  try {
    for (const layer of topology.layers) {
      const node = importLayer(layer, weights, topology.inputShape);
      if (node.op !== 'input' && node.inputs.length === 0) {
        throw new QcbError('E_MODEL_JSON', `layer "${layer.name}" has no inputs`);
      }
      nodes.push(node);
    }
  } catch (e) {
    for (const n of nodes) Object.values(n.params).forEach((v) => v.dispose());
    throw e;
  }
  return { name: topology.name, input: topology.input, inputShape: topology.inputShape, nodes, output: topology.output };
}
