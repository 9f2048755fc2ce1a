import { resolve } from 'node:path';
import { QcbError, saveQuantizedModel } from '@qcb/core';
import { createEngine, selectBackend } from '../context.js';
import { globalsOf, requireString } from '../options.js';
import { loadSubject } from '../subject.js';
import type { Command } from './command.js';

export const quantizeCommand: Command = {
  name: 'quantize',
  summary: 'quantize a model for a deployment profile (calibrated on the defender data) and write it with quant.json',
  usage: 'qcb quantize --model <dir> --quantizer <profile|uniform:spec> --out <dir> [--data <dataset>] [--data-dir <dir>] [--batch N]',
  options: {
    model: { type: 'string' },
    quantizer: { type: 'string' },
    data: { type: 'string' },
    'data-dir': { type: 'string' },
    out: { type: 'string' },
    batch: { type: 'string' },
  },
  async run(args, io) {
    const globals = globalsOf(args);
    const out = resolve(io.cwd, requireString(args, 'out'));
    const quantizer = requireString(args, 'quantizer');
    const engine = await createEngine(globals, io.cwd);
    await selectBackend(globals);
    const subject = await loadSubject(args, engine, io.cwd);
    try {
      if (!subject.quantized) throw new QcbError('E_USAGE', `--quantizer ${quantizer} did not quantize the model`);
      await saveQuantizedModel(out, subject.quantized, subject.sidecar);
      io.out(`wrote ${out} (${quantizer}; weights on their grids, activation grids in quant.json)\n`);
    } finally {
      subject.dispose();
    }
    return 0;
  },
};
