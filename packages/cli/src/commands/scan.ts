import {
  QcbError, progressBar, readQuantized, resolveQuantizer, scanData, scanModel, DEFAULT_BINS, DEFAULT_IMPORTANCE_SAMPLES, DEFAULT_SCORE_TOP,
  type Progress, type QuantizerProfile, type ScanReport,
} from '@qcb/core';
import { createEngine, selectBackend } from '../context.js';
import type { CliIO } from '../io.js';
import { numberOption } from '../numbers.js';
import { globalsOf } from '../options.js';
import { loadModelWithData } from '../subject.js';
import type { Command } from './command.js';

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => `  ${r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()}\n`).join('');
}

const num = (v: number, digits = 3): string => v.toFixed(digits);
const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;

export function formatScan(r: ScanReport, dir: string): string {
  let text = `scan of ${dir}: ${r.images} defender images, ${r.bins} bins, KL(fp || quantized) of each neuron's pre-activation (BN output, before the activation)\n`;
  text += r.target === null
    ? 'qcb.json names no trigger and target: no backdoor importance\n'
    : `importance tau: Definition 3.1 on the quantized model, triggered defender images labelled ${r.target} (benign: the same on clean images)\n`;
  for (const [name, p] of Object.entries(r.profiles)) {
    text += `\n${name}: score ${num(p.score, 2)} (class ${p.favouredClass}'s ${p.outputUnit} rises ${signed(p.score)} sd above the median class's); neuron score ${num(p.neuronScore, 2)} (mean relative drift of the top ${r.scoreTop} of ${p.neurons} neurons; top KL ${num(p.topKl)}, median KL ${num(p.medianKl, 4)})\n`;
    const withImportance = r.target !== null;
    const rows = [['unit', 'measured at', 'ch', 'mean KL', 'neuron', 'KL', 'rel', 'shift', ...(withImportance ? ['tau', 'benign'] : [])]];
    for (const u of p.units) {
      u.neurons.forEach((n, i) => {
        rows.push([
          i === 0 ? u.unit : '', i === 0 ? u.node : '', i === 0 ? String(u.channels) : '', i === 0 ? num(u.meanKl) : '',
          String(n.channel), num(n.kl), num(n.relative, 1), signed(n.shift),
          ...(withImportance ? [n.importance === undefined ? '-' : num(n.importance, 4), n.benignImportance === undefined ? '-' : num(n.benignImportance, 4)] : []),
        ]);
      });
    }
    text += table(rows);
  }
  text += `\nscores: ${Object.entries(r.profiles).map(([name, p]) => `${name} ${num(p.score, 2)} (class ${p.favouredClass})`).join(', ')}\n`;
  return text;
}

/** The profiles named by --quantizer (registered names or uniform: specs), else every registered one. */
function selectedProfiles(names: readonly string[], all: () => QuantizerProfile[], resolve: (name: string) => QuantizerProfile): QuantizerProfile[] {
  if (names.length === 0) return all();
  return [...new Set(names)].map(resolve);
}

function stageBars(io: CliIO): { onProgress: (p: { stage: string; done: number; total: number }) => void; finish(): void } {
  let stage: string | null = null;
  let bar: Progress | null = null;
  const finish = (): void => {
    if (bar && io.interactive) bar.finish();
    bar = null;
  };
  return {
    onProgress(p) {
      if (p.stage !== stage) {
        finish();
        stage = p.stage;
        bar = progressBar({ label: `scan ${p.stage}`, total: p.total, write: io.err, interactive: io.interactive });
      }
      bar?.update(p.done);
    },
    finish,
  };
}

export const scanCommand: Command = {
  name: 'scan',
  summary: 'rank neurons by activation drift under each deployment profile (defender data only) and score each profile for a QCB',
  usage: 'qcb scan --model <dir> [--quantizer <profile|uniform:spec>]... [--data <dataset>] [--data-dir <dir>] [--bins 64] [--top 5] [--importance-samples 256] [--json]',
  options: {
    model: { type: 'string' },
    quantizer: { type: 'string', multiple: true, default: [] },
    data: { type: 'string' },
    'data-dir': { type: 'string' },
    bins: { type: 'string' },
    top: { type: 'string' },
    'importance-samples': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  async run(args, io) {
    const globals = globalsOf(args);
    const bins = numberOption(args, 'bins', DEFAULT_BINS, { min: 2, max: 4096, integer: true });
    const top = numberOption(args, 'top', DEFAULT_SCORE_TOP, { min: 1, integer: true });
    const importanceSamples = numberOption(args, 'importance-samples', DEFAULT_IMPORTANCE_SAMPLES, { min: 0, integer: true });
    const engine = await createEngine(globals, io.cwd);
    const profiles = selectedProfiles(
      args.values['quantizer'] as string[],
      () => engine.plugins('quantizer').map((p) => p.profile),
      (name) => resolveQuantizer(engine, name),
    );
    if (profiles.length === 0) throw new QcbError('E_USAGE', 'no quantizer profile is registered; name one with --quantizer');
    await selectBackend(globals);
    const subject = await loadModelWithData(args, io.cwd);
    try {
      const quantized = await readQuantized(subject.dir, subject.model);
      if (quantized) {
        throw new QcbError('E_USAGE', `${subject.dir} is already quantized (${quantized.parts.profile}); scan the full-precision model it came from`);
      }
      // --importance-samples 0 skips the importance: no triggered images are made.
      const data = scanData(engine, subject.data.train, importanceSamples > 0 ? subject.sidecar : null, subject.normalization, { importanceSamples });
      const bars = stageBars(io);
      try {
        const report = await scanModel(subject.model, {
          profiles,
          batches: data.batches,
          bins,
          top,
          backdoor: data.backdoor,
          hooks: engine.hooks.quantizer,
          onProgress: bars.onProgress,
        });
        bars.finish();
        io.out(args.values['json'] ? `${JSON.stringify(report)}\n` : formatScan(report, subject.dir));
      } finally {
        data.dispose();
      }
    } finally {
      subject.model.dispose();
    }
    return 0;
  },
};
