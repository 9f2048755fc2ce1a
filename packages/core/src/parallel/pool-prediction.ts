import type { ImageSet, Normalization } from '../data/image-set.js';
import type { GraphModel } from '../ir/graph-model.js';
import type { JsonObject } from '../io/folder/index.js';
import { quantJsonOf } from '../quant/quant-json.js';
import type { QuantizedModel } from '../quant/quantized-model.js';
import { compiledModuleUrl } from './compiled-url.js';
import { toPortableGraph } from './portable-graph.js';
import type { PredictionTaskInit } from './prediction-task.js';
import { sharedImages } from './shared-images.js';
import type { StepPool } from './step-pool.js';

const TASK = { url: compiledModuleUrl('./prediction-task.js', import.meta.url).href, exportName: 'createPredictionTask' };

export interface PoolPredictionOptions {
  /** Images per forward pass on each worker. */
  readonly batch: number;
  readonly normalization?: Normalization;
  /** Called about five times a second with the images of all sets classified so far. */
  readonly onBatch?: (done: number, total: number) => void;
}

/**
 * The argmax class of every image of every set, the sets split across the pool's workers in
 * contiguous shards (each worker rebuilds the model: a full-precision graph, or a quantized
 * model with its quant.json), joined in order: the same classes as predictClasses on one
 * thread, since a prediction depends only on its own image.
 */
export async function predictOnPool(pool: StepPool, model: GraphModel | QuantizedModel, sets: readonly ImageSet[], o: PoolPredictionOptions): Promise<Int32Array[]> {
  const quantized = 'parts' in model ? model : null;
  const graph = quantized?.model ?? (model as GraphModel);
  const progress = new Int32Array(new SharedArrayBuffer(4 * pool.size));
  const init: PredictionTaskInit = {
    graph: toPortableGraph(graph.graph),
    quantization: quantized ? { json: quantJsonOf(quantized) as unknown as JsonObject, weightsOnGrid: quantized.parts.weightsOnGrid } : null,
    sets: sets.map(sharedImages),
    ...(o.normalization ? { normalization: o.normalization } : {}),
    batch: o.batch,
    progress: progress.buffer as SharedArrayBuffer,
  };
  await pool.setup(TASK, () => init, 0);
  const total = sets.reduce((n, s) => n + s.count, 0);
  const out: Int32Array[] = [];
  let before = 0;
  try {
    for (let s = 0; s < sets.length; s++) {
      const offset = before;
      const report = o.onBatch ? setInterval(() => o.onBatch?.(offset + progress.reduce((a, b) => a + b, 0), total), 200) : null;
      try {
        const parts = (await pool.call('predict', () => s)) as Int32Array[];
        const joined = new Int32Array(sets[s].count);
        let at = 0;
        for (const p of parts) {
          joined.set(p, at);
          at += p.length;
        }
        out.push(joined);
      } finally {
        if (report) clearInterval(report);
      }
      before += sets[s].count;
      o.onBatch?.(before, total);
    }
  } finally {
    await pool.clear();
  }
  return out;
}
