import type { Graph } from '../../ir/graph.js';
import { opDef } from '../../ir/ops/index.js';
import type { JsonObject } from '../folder/json.js';
import type { LayersModelJson, NamedWeight } from '../folder/types.js';

/**
 * The graph as a functional layers-format model (what tfjs-layers and the Keras
 * converter read), with its weights named `layer/weight`.
 */
export async function graphToLayersModel(graph: Graph): Promise<{ modelJson: LayersModelJson; weights: NamedWeight[] }> {
  const layers: JsonObject[] = [];
  const weights: NamedWeight[] = [];
  for (const node of graph.nodes) {
    const exported = opDef(node.op).toKeras(node);
    layers.push({
      class_name: exported.className,
      config: exported.config,
      name: node.name,
      inbound_nodes: node.inputs.length === 0 ? [] : [node.inputs.map((i) => [i, 0, 0, {}])],
    });
    for (const [kerasName, param] of exported.weights) {
      const v = node.params[param];
      const values = (await v.data()) as Float32Array | Int32Array;
      weights.push({ name: `${node.name}/${kerasName}`, shape: [...v.shape], dtype: v.dtype === 'int32' ? 'int32' : 'float32', values });
    }
  }
  const modelJson: LayersModelJson = {
    format: 'layers-model',
    generatedBy: 'qcb',
    convertedBy: null,
    modelTopology: {
      class_name: 'Model',
      config: {
        name: graph.name,
        layers,
        input_layers: [[graph.input, 0, 0]],
        output_layers: [[graph.output, 0, 0]],
      },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [],
  };
  return { modelJson, weights };
}
