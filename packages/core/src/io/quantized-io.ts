import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QcbError } from '../errors.js';
import type { GraphModel } from '../ir/graph-model.js';
import { QUANT_JSON, parseQuantJson, quantJsonOf } from '../quant/quant-json.js';
import { QuantizedModel } from '../quant/quantized-model.js';
import type { QcbSidecar } from './folder/index.js';
import { saveModel } from './model-io.js';

/**
 * Writes a quantized model folder: weights on their grids (plain tfjs-layers can load it)
 * plus quant.json, from which `readQuantized` simulates the exact quantized model.
 */
export async function saveQuantizedModel(dir: string, q: QuantizedModel, sidecar: QcbSidecar | null): Promise<void> {
  const baked = q.parts.weightsOnGrid ? q : q.bake();
  try {
    await saveModel(dir, baked.model, { sidecar, extraFiles: { [QUANT_JSON]: JSON.stringify(quantJsonOf(baked), null, 1) } });
  } finally {
    if (baked !== q) baked.model.dispose();
  }
}

/** The quantized model of a folder that holds quant.json, or null for a full-precision folder. */
export async function readQuantized(dir: string, model: GraphModel): Promise<QuantizedModel | null> {
  const file = join(dir, QUANT_JSON);
  if (!existsSync(file)) return null;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new QcbError('E_MODEL_JSON', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = parseQuantJson(json, file, new Set(model.graph.nodes.map((n) => n.name)));
  return new QuantizedModel({ model, profile: parsed.profile, foldedBatchNorm: parsed.foldedBatchNorm, weights: parsed.weights, activations: parsed.activations, weightsOnGrid: true });
}
