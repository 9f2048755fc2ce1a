import type { Normalization } from '../data/image-set.js';
import { GraphModel } from '../ir/graph-model.js';
import type { JsonObject } from '../io/folder/index.js';
import { predictClasses } from '../metrics/predict.js';
import { parseQuantJson } from '../quant/quant-json.js';
import { QuantizedModel } from '../quant/quantized-model.js';
import { fromPortableGraph, type PortableGraph } from './portable-graph.js';
import type { SharedImages } from './shared-images.js';
import { shardsOf } from './shards.js';
import type { ParallelTask } from './task.js';

/** What each worker receives for one model (pool-prediction.ts sends it). */
export interface PredictionTaskInit {
  readonly graph: PortableGraph;
  /** The model's quantization (quant.json) when it is a quantized model's graph. */
  readonly quantization: { readonly json: JsonObject; readonly weightsOnGrid: boolean } | null;
  readonly sets: readonly SharedImages[];
  readonly normalization?: Normalization;
  /** Images per forward pass. */
  readonly batch: number;
  /** Int32 per worker: the images it has classified so far in the current call (for progress bars). */
  readonly progress: SharedArrayBuffer;
}

/**
 * The worker side of a pool prediction: the model rebuilt from its portable graph (and, for
 * a quantized model, its quant.json: the same grids and activation quantizers), the argmax
 * class of every image of this worker's shard of one set.
 */
export function createPredictionTask(raw: unknown, shard: { readonly index: number; readonly count: number }): ParallelTask {
  const init = raw as PredictionTaskInit;
  const model = new GraphModel(fromPortableGraph(init.graph));
  let forward = (x: Parameters<GraphModel['predict']>[0]) => model.predict(x);
  if (init.quantization) {
    const parsed = parseQuantJson(init.quantization.json, 'quant.json', new Set(model.graph.nodes.map((n) => n.name)));
    const quantized = new QuantizedModel({
      model, profile: parsed.profile, foldedBatchNorm: parsed.foldedBatchNorm,
      weights: parsed.weights, activations: parsed.activations, weightsOnGrid: init.quantization.weightsOnGrid,
    });
    forward = (x) => quantized.predict(x);
  }
  const progress = new Int32Array(init.progress);
  return {
    call(kind, payload) {
      if (kind !== 'predict') throw new Error(`unknown prediction task call "${kind}"`);
      const set = init.sets[payload as number];
      const { start, size } = shardsOf(set.count, shard.count)[shard.index];
      const pixels = set.shape[0] * set.shape[1] * set.shape[2];
      Atomics.store(progress, shard.index, 0);
      if (size === 0) return new Int32Array(0);
      const images = new Float32Array(set.buffer, 4 * start * pixels, size * pixels);
      return predictClasses(forward, { images, labels: new Int32Array(size), count: size, shape: set.shape }, {
        batch: init.batch,
        ...(init.normalization ? { normalization: init.normalization } : {}),
        onBatch: (done) => Atomics.store(progress, shard.index, done),
      });
    },
    dispose() {
      model.dispose();
    },
  };
}
