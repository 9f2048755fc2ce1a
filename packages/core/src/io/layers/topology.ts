import { QcbError } from '../../errors.js';
import type { JsonObject, JsonValue } from '../folder/json.js';
import type { KerasLayer } from '../../ir/op-def.js';

/** A Keras layer with the names of the layers feeding it. */
export interface TopologyLayer extends KerasLayer {
  readonly inbound: readonly string[];
}

export interface Topology {
  readonly name: string;
  /** Layers in topological order; the input layer first. */
  readonly layers: readonly TopologyLayer[];
  readonly input: string;
  readonly inputShape: readonly number[];
  readonly output: string;
}

function malformed(message: string): QcbError {
  return new QcbError('E_MODEL_JSON', `model.json: ${message}`);
}

function asObject(v: JsonValue | undefined, what: string): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed(`${what} must be an object`);
  return v;
}

function asArray(v: JsonValue | undefined, what: string): JsonValue[] {
  if (!Array.isArray(v)) throw malformed(`${what} must be an array`);
  return v;
}

function readLayer(raw: JsonValue, i: number): { className: string; name: string; config: JsonObject; raw: JsonObject } {
  const obj = asObject(raw, `layer #${i}`);
  const className = obj['class_name'];
  if (typeof className !== 'string') throw malformed(`layer #${i} has no class_name`);
  const config = asObject(obj['config'] ?? {}, `layer #${i} config`);
  const name = typeof obj['name'] === 'string' ? obj['name'] : config['name'];
  if (typeof name !== 'string' || name === '') throw malformed(`layer #${i} (${className}) has no name`);
  if (className === 'Sequential' || className === 'Model' || className === 'Functional') {
    throw new QcbError('E_LAYER_UNSUPPORTED', `layer "${name}": nested models (${className}) are not supported; flatten the model first`);
  }
  return { className, name, config, raw: obj };
}

/** Input shape without the batch axis, from `batch_input_shape` (Keras 2) or `batch_shape` (Keras 3). */
function batchShape(config: JsonObject, layerName: string): number[] | null {
  const v = config['batch_input_shape'] ?? config['batch_shape'];
  if (v === undefined || v === null) return null;
  const dims = asArray(v, `layer "${layerName}" batch_input_shape`).slice(1);
  if (!dims.every((d): d is number => typeof d === 'number' && Number.isInteger(d) && d > 0)) {
    throw malformed(`layer "${layerName}": the input shape ${JSON.stringify(v)} must be fully defined (except the batch axis)`);
  }
  return dims;
}

/** Names of the layers feeding a functional layer, in Keras 2 or Keras 3 form. */
function inboundNames(raw: JsonObject, name: string): string[] {
  const nodes = raw['inbound_nodes'];
  if (nodes === undefined || nodes === null) return [];
  const list = asArray(nodes, `layer "${name}" inbound_nodes`);
  if (list.length === 0) return [];
  if (list.length > 1) {
    throw new QcbError('E_LAYER_UNSUPPORTED', `layer "${name}" is applied ${list.length} times; shared layers are not supported`);
  }
  const found: string[] = [];
  const visit = (v: JsonValue): void => {
    if (Array.isArray(v)) {
      // Keras 2: [layerName, nodeIndex, tensorIndex, kwargs]
      if (v.length >= 3 && typeof v[0] === 'string' && typeof v[1] === 'number') {
        found.push(v[0]);
        return;
      }
      v.forEach(visit);
    } else if (v !== null && typeof v === 'object') {
      // Keras 3: {class_name: '__keras_tensor__', config: {keras_history: [name, node, tensor]}}
      const history = (v['config'] as JsonObject | undefined)?.['keras_history'];
      if (Array.isArray(history) && typeof history[0] === 'string') {
        found.push(history[0]);
        return;
      }
      const args = v['args'];
      if (args !== undefined) visit(args);
    }
  };
  visit(list[0]);
  return found;
}

function topoSort(layers: TopologyLayer[]): TopologyLayer[] {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const order: TopologyLayer[] = [];
  const visit = (l: TopologyLayer): void => {
    if (done.has(l.name)) return;
    if (visiting.has(l.name)) throw malformed(`the layer graph has a cycle through "${l.name}"`);
    visiting.add(l.name);
    for (const i of l.inbound) {
      const src = byName.get(i);
      if (!src) throw malformed(`layer "${l.name}" takes input from unknown layer "${i}"`);
      visit(src);
    }
    visiting.delete(l.name);
    done.add(l.name);
    order.push(l);
  };
  layers.forEach(visit);
  return order;
}

function endpoint(v: JsonValue | undefined, what: string): string {
  const list = asArray(v, what);
  // Either [[name, 0, 0], ...] or a single [name, 0, 0].
  const entries = typeof list[0] === 'string' ? [list] : list;
  if (entries.length !== 1) {
    throw new QcbError('E_LAYER_UNSUPPORTED', `model.json: ${entries.length} ${what}; only single-input, single-output models are supported`);
  }
  const first = asArray(entries[0], what);
  if (typeof first[0] !== 'string') throw malformed(`${what} is malformed`);
  return first[0];
}

/** Reads the layer graph of a Sequential or functional layers-format topology. */
export function readTopology(modelTopology: JsonObject): Topology {
  const top = modelTopology['model_config'] !== undefined ? asObject(modelTopology['model_config'], 'model_config') : modelTopology;
  const className = top['class_name'];
  const config = top['config'];
  if (className === 'Sequential') {
    const rawLayers = Array.isArray(config) ? config : asArray(asObject(config, 'config')['layers'], 'config.layers');
    const configObject = Array.isArray(config) ? {} : asObject(config, 'config');
    const name = typeof configObject['name'] === 'string' ? configObject['name'] : 'sequential';
    return readSequential(name, rawLayers, configObject);
  }
  if (className === 'Model' || className === 'Functional') {
    return readFunctional(asObject(config, 'config'));
  }
  throw malformed(`modelTopology.class_name must be Sequential, Model or Functional, got ${JSON.stringify(className)}`);
}

function readSequential(name: string, rawLayers: JsonValue[], config: JsonObject): Topology {
  const parsed = rawLayers.map(readLayer);
  if (parsed.length === 0) throw malformed('the Sequential model has no layers');
  let inputName = 'input';
  let inputShape: number[] | null = null;
  if (parsed[0].className === 'InputLayer') {
    const first = parsed.shift()!;
    inputName = first.name;
    inputShape = batchShape(first.config, first.name);
  } else {
    inputShape = batchShape(parsed[0].config, parsed[0].name);
  }
  inputShape ??= batchShape(config, name);
  if (!inputShape) throw malformed('the Sequential model does not declare its input shape (batch_input_shape)');
  const layers: TopologyLayer[] = [{ className: 'InputLayer', name: inputName, config: {}, inbound: [] }];
  for (const l of parsed) {
    if (l.className === 'InputLayer') throw malformed(`InputLayer "${l.name}" in the middle of a Sequential model`);
    layers.push({ className: l.className, name: l.name, config: l.config, inbound: [layers[layers.length - 1].name] });
  }
  const names = new Set<string>();
  for (const l of layers) {
    if (names.has(l.name)) throw malformed(`duplicate layer name "${l.name}"`);
    names.add(l.name);
  }
  return { name, layers, input: inputName, inputShape, output: layers[layers.length - 1].name };
}

function readFunctional(config: JsonObject): Topology {
  const parsed = asArray(config['layers'], 'config.layers').map(readLayer);
  const names = new Set<string>();
  const layers: TopologyLayer[] = parsed.map((l) => {
    if (names.has(l.name)) throw malformed(`duplicate layer name "${l.name}"`);
    names.add(l.name);
    return { className: l.className, name: l.name, config: l.config, inbound: inboundNames(l.raw, l.name) };
  });
  const input = endpoint(config['input_layers'], 'input layers');
  const output = endpoint(config['output_layers'], 'output layers');
  const inputLayer = layers.find((l) => l.name === input);
  if (!inputLayer || inputLayer.className !== 'InputLayer') throw malformed(`input layer "${input}" is not an InputLayer`);
  const inputShape = batchShape(inputLayer.config, input);
  if (!inputShape) throw malformed(`input layer "${input}" has no batch_input_shape`);
  if (!names.has(output)) throw malformed(`output layer "${output}" does not exist`);
  const name = typeof config['name'] === 'string' ? config['name'] : 'model';
  return { name, layers: topoSort(layers), input, inputShape, output };
}
