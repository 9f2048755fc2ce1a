import '../../tfjs-setup.js';
import { parentPort, workerData } from 'node:worker_threads';
import { isQcbError } from '../../errors.js';
import { loadModel } from '../../io/model-io.js';
import { parseQuantJson } from '../../quant/quant-json.js';
import { QuantizedModel } from '../../quant/quantized-model.js';
import { initBackend } from '../../runtime/backend.js';
import { evaluateBaseline } from './baselines.js';
import type { EvaluationResult } from './evaluation.js';
import type { BaselineQuantized, BaselineReply, BaselineRequest } from './baseline-protocol.js';

// Worker entry: its own tfjs engine and backend; evaluates the full-precision model while the
// caller quantizes, then rebuilds the quantized model exactly (its graph with its params and
// quant.json) from the message the caller posts, and evaluates it, silently.
const handed = new Promise<BaselineQuantized>((resolve) => parentPort?.once('message', resolve));

async function replyFor(req: BaselineRequest): Promise<BaselineReply> {
  await initBackend(req.backend);
  const fp = (await loadModel(req.fpDir)).model;
  let fpResult: EvaluationResult;
  try {
    fpResult = evaluateBaseline('fp', fp, req.set, undefined, req.batch);
  } finally {
    fp.dispose();
  }
  const q = await handed;
  const qModel = (await loadModel(q.quantizedDir)).model;
  try {
    const parsed = parseQuantJson(q.quantJson, 'quant.json', new Set(qModel.graph.nodes.map((n) => n.name)));
    const quantized = new QuantizedModel({
      model: qModel, profile: parsed.profile, foldedBatchNorm: parsed.foldedBatchNorm,
      weights: parsed.weights, activations: parsed.activations, weightsOnGrid: q.weightsOnGrid,
    });
    const quantizedResult = evaluateBaseline('quantized', quantized, req.set, undefined, req.batch);
    return { ok: true, baselines: { fp: fpResult, quantized: quantizedResult } };
  } finally {
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
