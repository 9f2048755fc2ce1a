import 'reflect-metadata';
import { parentPort, workerData } from 'node:worker_threads';
import { isQcbError } from '@qcb/core';
import { createEngine, selectBackend } from '../context.js';
import { globalsOf } from '../options.js';
import { loadSubject } from '../subject.js';
import type { CliIO } from '../io.js';
import { evaluateBaselines } from './evaluate.js';
import type { BaselineReply, BaselineRequest } from './protocol.js';

// Worker entry: loads the command's subject on its own thread (its own tfjs engine and
// backend) and evaluates the full-precision and the undefended quantized model, silently.
async function replyFor(req: BaselineRequest): Promise<BaselineReply> {
  const globals = globalsOf(req.args);
  const io: CliIO = { out: () => undefined, err: () => undefined, cwd: req.cwd, interactive: false };
  const engine = await createEngine(globals, req.cwd);
  await selectBackend(globals);
  const subject = await loadSubject(req.args, engine, req.cwd, req.share);
  try {
    return { ok: true, baselines: evaluateBaselines(subject, engine, io) };
  } finally {
    subject.dispose();
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
