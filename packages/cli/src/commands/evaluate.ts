import { StepPool, describeBatchPlan, evaluateModel, evaluateModelOnPool, evaluationImages, evaluationPlan, evaluationSet, progressBar, runThreads, type EvaluationResult } from '@qcb/core';
import { createEngine, selectBackend } from '../context.js';
import { batchOption } from '../numbers.js';
import { globalsOf } from '../options.js';
import { loadSubject, type Subject } from '../subject.js';
import type { CliIO } from '../io.js';
import type { Engine } from '@qcb/core';
import type { Command } from './command.js';

/**
 * BA on the clean test set and, when qcb.json names them, ASR of its trigger and target, in
 * batches that fit the backend's memory (`batch`: --batch); a line on stderr says when memory
 * set the batch. With --threads above 1 the images are split across that many pool workers
 * (the same figures: each prediction depends only on its image).
 */
export async function evaluateSubject(subject: Subject, engine: Engine, io: CliIO, batch?: number, label = 'evaluating'): Promise<EvaluationResult> {
  const set = evaluationSet(engine, subject.data.test, subject.sidecar, subject.normalization);
  const plan = evaluationPlan(subject.quantized ?? subject.model, batch !== undefined ? { batch } : {});
  if (plan.limited || !plan.fits) io.err(`${describeBatchPlan(plan)}\n`);
  const bar = progressBar({ label, total: evaluationImages(set), write: io.err, interactive: io.interactive });
  const pool = await StepPool.start(runThreads());
  let result: EvaluationResult;
  try {
    result = pool
      ? await evaluateModelOnPool(pool, subject.quantized ?? subject.model, set, { batch: plan.batch, onBatch: (done) => bar.update(done) })
      : evaluateModel((x) => subject.forward(x), set, { plan, onBatch: (done) => bar.update(done) });
  } finally {
    await pool?.close();
  }
  if (io.interactive) bar.finish();
  return result;
}

export function formatEvaluation(r: EvaluationResult): string {
  return `BA ${r.ba.toFixed(2)}%  ASR ${r.asr === null ? 'n/a (no trigger in qcb.json)' : `${r.asr.toFixed(2)}%`}  (${r.n} test images)`;
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'clean accuracy (BA) and, when qcb.json names a trigger and target, attack success rate (ASR)',
  usage: 'qcb evaluate --model <dir> [--quantizer <profile>] [--data <dataset>] [--data-dir <dir>] [--batch N] [--json]',
  options: {
    model: { type: 'string' },
    quantizer: { type: 'string' },
    data: { type: 'string' },
    'data-dir': { type: 'string' },
    batch: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  async run(args, io) {
    const globals = globalsOf(args);
    const batch = batchOption(args);
    const engine = await createEngine(globals, io.cwd);
    await selectBackend(globals);
    const subject = await loadSubject(args, engine, io.cwd);
    try {
      const result = await evaluateSubject(subject, engine, io, batch);
      io.out(args.values['json'] ? `${JSON.stringify(result)}\n` : `${formatEvaluation(result)}\n`);
    } finally {
      subject.dispose();
    }
    return 0;
  },
};
