import { evaluateModel, evaluationImages, evaluationSet, progressBar, type EvaluationResult } from '@qcb/core';
import { createEngine, selectBackend } from '../context.js';
import { numberOption } from '../numbers.js';
import { globalsOf } from '../options.js';
import { loadSubject, type Subject } from '../subject.js';
import type { CliIO } from '../io.js';
import type { Engine } from '@qcb/core';
import type { Command } from './command.js';

/** BA on the clean test set and, when qcb.json names them, ASR of its trigger and target. */
export function evaluateSubject(subject: Subject, engine: Engine, io: CliIO, batch = 256, label = 'evaluating'): EvaluationResult {
  const set = evaluationSet(engine, subject.data.test, subject.sidecar, subject.normalization);
  const bar = progressBar({ label, total: evaluationImages(set), write: io.err, interactive: io.interactive });
  const result = evaluateModel((x) => subject.forward(x), set, { batch, onBatch: (done) => bar.update(done) });
  if (io.interactive) bar.finish();
  return result;
}

export function formatEvaluation(r: EvaluationResult): string {
  return `BA ${r.ba.toFixed(2)}%  ASR ${r.asr === null ? 'n/a (no trigger in qcb.json)' : `${r.asr.toFixed(2)}%`}  (${r.n} test images)`;
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'clean accuracy (BA) and, when qcb.json names a trigger and target, attack success rate (ASR)',
  usage: 'qcb evaluate --model <dir> [--quantizer <profile>] [--data <dataset>] [--data-dir <dir>] [--json]',
  options: {
    model: { type: 'string' },
    quantizer: { type: 'string' },
    data: { type: 'string' },
    'data-dir': { type: 'string' },
    'batch-size': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  async run(args, io) {
    const globals = globalsOf(args);
    const batch = numberOption(args, 'batch-size', 256, { min: 1, integer: true });
    const engine = await createEngine(globals, io.cwd);
    await selectBackend(globals);
    const subject = await loadSubject(args, engine, io.cwd);
    try {
      const result = evaluateSubject(subject, engine, io, batch);
      io.out(args.values['json'] ? `${JSON.stringify(result)}\n` : `${formatEvaluation(result)}\n`);
    } finally {
      subject.dispose();
    }
    return 0;
  },
};
