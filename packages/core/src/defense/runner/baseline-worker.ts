import '../../tfjs-setup.js';
import { parentPort, workerData } from 'node:worker_threads';
import { isQcbError } from '../../errors.js';
import { loadModel } from '../../io/model-io.js';
import { parseQuantJson } from '../../quant/quant-json.js';
import { QuantizedModel } from '../../quant/quantized-model.js';
import { initBackend } from '../../runtime/backend.js';
import { evaluateBaselines } from './baselines.js';
import type { BaselineReply, BaselineRequest } from './baseline-protocol.js';

// Worker entry: its own tfjs engine and backend; rebuilds the two models exactly (fp weights,
// the quantized graph with its params) and evaluates them, silently.
async function replyFor(req: BaselineRequest): Promise<BaselineReply> {
  await initBackend(req.backend);
  const fp = (await loadModel(req.fpDir)).model;
  const qModel = (await loadModel(req.quantizedDir)).model;
  try {
    const parsed = parseQuantJson(req.quantJson, 'quant.json', new Set(qModel.graph.nodes.map((n) => n.name)));
    const quantized = new QuantizedModel({
      model: qModel, profile: parsed.profile, foldedBatchNorm: parsed.foldedBatchNorm,
      weights: parsed.weights, activations: parsed.activations, weightsOnGrid: req.weightsOnGrid,
    });
    return { ok: true, baselines: evaluateBaselines(fp, quantized, req.set, undefined, req.batch) };
  } finally {
    fp.dispose();
    qModel.dispose();
  }
}

replyFor(workerData as BaselineRequest).then(
  (reply) => parentPort?.postMessage(reply),
  (e: unknown) => parentPort?.postMessage({
    ok: false,
    code: isQcbError(e) ? e.code : '',
    message: e instanceof Error ? e.message : String(e),
  } satisfies BaselineReply),
);
