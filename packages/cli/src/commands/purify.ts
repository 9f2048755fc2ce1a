import { resolve } from 'node:path';
import { QcbError, progressBar, purify, readQuantized, type DefenseProgress, type EvaluationResult, type JsonObject, type Preset, type Progress, type PurifyReport } from '@qcb/core';
import { createEngine, selectBackend } from '../context.js';
import { batchOption, numberOption } from '../numbers.js';
import { globalsOf, optionPairs, requireString, type Parsed } from '../options.js';
import { loadModelWithData } from '../subject.js';
import type { CliIO } from '../io.js';
import type { Command } from './command.js';

/** Defense options: --option pairs, and --iterations as the `iterations` option. */
function defenseOptions(args: Parsed): JsonObject {
  const out: JsonObject = optionPairs(args);
  if (typeof args.values['iterations'] === 'string') out['iterations'] = args.values['iterations'];
  return out;
}

function progressReporter(io: CliIO): DefenseProgress {
  let bar: Progress | null = null;
  return {
    stage: (label, steps) => {
      bar = progressBar({ label, total: steps, write: io.err, interactive: io.interactive });
    },
    step: (done, info) => bar?.update(done, info),
    stageDone: (info) => bar?.finish(info),
    note: (line) => io.err(`${line}\n`),
  };
}

function row(name: string, r: EvaluationResult): string {
  return `${name.padEnd(24)} ${r.ba.toFixed(2).padStart(6)}  ${r.asr === null ? '   n/a' : r.asr.toFixed(2).padStart(6)}`;
}

export function formatPurifyReport(r: PurifyReport, label: string): string {
  return [
    `${'model'.padEnd(24)} ${'BA %'.padStart(6)}  ${'ASR %'.padStart(6)}`,
    row('full precision', r.fp),
    row('quantized, no defense', r.quantized),
    row(label, r.defended),
    `DER ${r.der === null ? 'n/a' : `${r.der.toFixed(2)}%`}   (${r.seconds.toFixed(0)} s)`,
  ].join('\n');
}

export const purifyCommand: Command = {
  name: 'purify',
  summary: 'purify a quantized model with a defense (and augmentation) and print BA / ASR / DER',
  usage: 'qcb purify --model <dir> --quantizer <profile> --defense <name> [--augment pda] [--augment equalize] [--data <dataset>] [--defender-share 0.05] [--defender-samples 1024] [--iterations N] [--preset fast|paper] [--option key=value ...] [--seed 0] [--batch N] --out <dir> [--json]',
  options: {
    model: { type: 'string' },
    quantizer: { type: 'string', default: 'academic-w4a4' },
    defense: { type: 'string' },
    augment: { type: 'string', multiple: true },
    data: { type: 'string' },
    'data-dir': { type: 'string' },
    'defender-share': { type: 'string' },
    'defender-samples': { type: 'string' },
    iterations: { type: 'string' },
    preset: { type: 'string', default: 'fast' },
    option: { type: 'string', multiple: true },
    seed: { type: 'string' },
    out: { type: 'string' },
    batch: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  async run(args, io) {
    const globals = globalsOf(args);
    const out = resolve(io.cwd, requireString(args, 'out'));
    const defense = requireString(args, 'defense');
    const preset = args.values['preset'] as string;
    if (preset !== 'fast' && preset !== 'paper') throw new QcbError('E_USAGE', `--preset must be fast or paper, got "${preset}"`);
    const share = numberOption(args, 'defender-share', 0.05, { min: 0.0001, max: 1 });
    const samples = numberOption(args, 'defender-samples', 1024, { integer: true, min: 1 });
    const seed = numberOption(args, 'seed', 0, { integer: true });
    const batch = batchOption(args);
    const augmentations = (args.values['augment'] as string[] | undefined) ?? [];
    const engine = await createEngine(globals, io.cwd);
    await selectBackend(globals);
    const subject = await loadModelWithData(args, io.cwd);
    try {
      const already = await readQuantized(subject.dir, subject.model);
      if (already) throw new QcbError('E_USAGE', `${subject.dir} is already quantized (${already.parts.profile}): purify takes a full-precision model folder and a --quantizer`);
      const outcome = await purify({
        engine, model: subject.model, quantizer: args.values['quantizer'] as string, defense, augmentations,
        data: subject.data, normalization: subject.normalization, sidecar: subject.sidecar,
        share, samples, preset: preset as Preset, options: defenseOptions(args), seed,
        progress: progressReporter(io), out, log: (line) => io.err(`${line}\n`), ...(batch !== undefined ? { batch } : {}),
      });
      outcome.dispose();
      const label = [defense, ...augmentations].join(' + ');
      io.out(args.values['json'] ? `${JSON.stringify(outcome.report)}\n` : `${formatPurifyReport(outcome.report, label)}\nwrote ${out}\n`);
    } finally {
      subject.model.dispose();
    }
    return 0;
  },
};
