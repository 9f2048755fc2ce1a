import { resolve } from 'node:path';
import {
  QcbError, createTrigger, evaluateClassifier, loadDataset, loadModel, poisonedView, progressBar,
  type Dataset, type Normalization, type QcbSidecar,
} from '@qcb/core';
import { createEngine, selectBackend } from '../context.js';
import { numberOption } from '../numbers.js';
import { globalsOf, requireString } from '../options.js';
import type { Command } from './command.js';

export interface EvaluationResult {
  /** Percent. */
  readonly ba: number;
  /** Percent, or null when qcb.json names no trigger and target. */
  readonly asr: number | null;
  readonly n: number;
}

function checkShapes(modelShape: readonly number[], data: Dataset, dataName: string): void {
  if (modelShape.join('x') !== data.test.shape.join('x')) {
    throw new QcbError('E_USAGE', `the model takes ${modelShape.join('x')} inputs but ${dataName} has ${data.test.shape.join('x')} images`);
  }
}

function normalizationOf(sidecar: QcbSidecar | null, data: Dataset): Normalization {
  return sidecar?.normalization ?? data.normalization;
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
    const dir = resolve(io.cwd, requireString(args, 'model'));
    const batch = numberOption(args, 'batch-size', 256, { min: 1, integer: true });
    const engine = await createEngine(globals, io.cwd);
    const quantizerName = args.values['quantizer'] as string | undefined;
    if (quantizerName) engine.plugin('quantizer', quantizerName);
    await selectBackend(globals);
    const { model, sidecar } = await loadModel(dir);
    try {
      const dataName = (args.values['data'] as string | undefined) ?? sidecar?.dataset ?? 'fashion-mnist';
      const data = await loadDataset(dataName, { dataDir: args.values['data-dir'] as string | undefined });
      checkShapes(model.inputShape, data, dataName);
      const hasBackdoor = sidecar?.trigger !== undefined && sidecar.target !== undefined;
      const poisoned = hasBackdoor ? poisonedView(data.test, createTrigger(sidecar!.trigger!, data.test.shape, engine.triggerFactories()), sidecar!.target!) : null;
      const total = data.test.count + (poisoned?.count ?? 0);
      const bar = progressBar({ label: 'evaluating', total, write: io.err, interactive: io.interactive });
      const r = evaluateClassifier((x) => model.predict(x), data.test, poisoned, hasBackdoor ? sidecar!.target! : null, {
        batch,
        normalization: normalizationOf(sidecar, data),
        onBatch: (done) => bar.update(done),
      });
      if (io.interactive) bar.finish();
      const result: EvaluationResult = { ba: r.ba, asr: r.asr, n: r.n };
      io.out(args.values['json'] ? `${JSON.stringify(result)}\n` : `BA ${result.ba.toFixed(2)}%  ASR ${result.asr === null ? 'n/a (no trigger in qcb.json)' : `${result.asr.toFixed(2)}%`}  (${result.n} test images)\n`);
    } finally {
      model.dispose();
    }
    return 0;
  },
};
