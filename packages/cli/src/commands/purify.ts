import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  GraphModel, QcbError, checkDefenseOptionKeys, defenderBatches, defenderSubset, defenseEffectivenessRating, loadModel, progressBar, quantizeModel, resolveQuantizer,
  saveModel, saveQuantizedModel, startDefenseRun, type DefenseCheckpoint, type DefenseContext, type DefenseProgress, type JsonObject, type Preset, type Progress, type QuantizedModel,
} from '@qcb/core';
import * as tf from '@tensorflow/tfjs-core';
import { createEngine, selectBackend } from '../context.js';
import { numberOption } from '../numbers.js';
import { globalsOf, optionPairs, requireString, type Parsed } from '../options.js';
import { loadSubject, type Subject } from '../subject.js';
import type { CliIO } from '../io.js';
import { evaluateSubject, type EvaluationResult } from './evaluate.js';
import type { Command } from './command.js';
import { startBaselineJob, type BaselineJob } from '../baseline/start.js';
import { evaluateBaselines } from '../baseline/evaluate.js';
import type { Baselines } from '../baseline/protocol.js';

export interface PurifyReport {
  readonly fp: EvaluationResult;
  readonly quantized: EvaluationResult;
  readonly defended: EvaluationResult;
  /** Percent; null without an ASR. */
  readonly der: number | null;
  readonly seconds: number;
}

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
  };
}

/** Per-unit checkpoints in `<out>.checkpoint`, valid only for the same settings. */
function checkpointAt(dir: string, settings: JsonObject): DefenseCheckpoint {
  const stateFile = 'purify-state.json';
  return {
    async load() {
      if (!existsSync(join(dir, stateFile))) return null;
      const state = JSON.parse(await readFile(join(dir, stateFile), 'utf8')) as { done: number; settings: JsonObject };
      if (JSON.stringify(state.settings) !== JSON.stringify(settings)) {
        throw new QcbError('E_USAGE', `the checkpoint in ${dir} was made with other settings (delete it to start over)`);
      }
      return { done: state.done, model: (await loadModel(dir)).model };
    },
    async save(done, model) {
      await saveModel(dir, model, { extraFiles: { [stateFile]: JSON.stringify({ done, settings }) } });
    },
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
  usage: 'qcb purify --model <dir> --quantizer <profile> --defense <name> [--augment pda] [--data <dataset>] [--defender-share 0.05] [--defender-samples 1024] [--iterations N] [--preset fast|paper] [--option key=value ...] [--seed 0] --out <dir> [--json]',
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
    json: { type: 'boolean', default: false },
  },
  async run(args, io) {
    const started = performance.now();
    const globals = globalsOf(args);
    const out = resolve(io.cwd, requireString(args, 'out'));
    const defenseName = requireString(args, 'defense');
    const quantizer = args.values['quantizer'] as string;
    const preset = args.values['preset'] as string;
    if (preset !== 'fast' && preset !== 'paper') throw new QcbError('E_USAGE', `--preset must be fast or paper, got "${preset}"`);
    const share = numberOption(args, 'defender-share', 0.05, { min: 0.0001, max: 1 });
    // The defense's cache (the paper's 1,024 images); at most the defender's share holds.
    const samples = numberOption(args, 'defender-samples', 1024, { integer: true, min: 1 });
    const seed = numberOption(args, 'seed', 0, { integer: true });
    const engine = await createEngine(globals, io.cwd);
    const defense = engine.plugin('defense', defenseName).definition;
    const augmentations = (args.values['augment'] as string[] | undefined) ?? [];
    const augmentationPlugins = augmentations.map((a) => engine.plugin('augmentation', a));
    const options = defenseOptions(args);
    checkDefenseOptionKeys(options, defense, augmentationPlugins);
    const backend = await selectBackend(globals);
    // The quantized model is calibrated on the defender's share too: it is all the data they hold.
    const subject: Subject = await loadSubject(args, engine, io.cwd, share);
    const extra: GraphModel[] = [];
    const batches = defenderBatches(subject.data.train, subject.normalization, { share, samples });
    let background: BaselineJob | null = null;
    try {
      if (!subject.quantized || subject.quantized.parts.weightsOnGrid) {
        throw new QcbError('E_USAGE', 'purify takes a full-precision model folder and a --quantizer');
      }
      const profile = resolveQuantizer(engine, quantizer);
      // The two baselines do not depend on the defense: evaluated beside it where a worker can.
      // TensorFlow's native backend already spreads one run over every core; wasm and cpu use one.
      background = backend.name === 'tensorflow' ? null : startBaselineJob({ args, cwd: io.cwd, share });
      if (background) io.err('evaluating the fp and the quantized model on a worker thread, beside the defense\n');
      const baselines: Promise<Baselines> = background ? background.result : Promise.resolve(evaluateBaselines(subject, engine, io));
      const settings: JsonObject = { model: subject.dir, quantizer, defense: defenseName, augmentations, preset, share, samples, seed, options };
      const run = startDefenseRun(engine, { defense: defenseName, augmentations, preset: preset as Preset, options, seed });
      const ctx: DefenseContext = {
        engine, fp: subject.model, quantized: subject.quantized, profile,
        data: defenderSubset(subject.data.train, share, 0), normalization: subject.normalization, batches,
        augmentations, preset: preset as Preset, options, seed, hooks: run.hooks,
        progress: progressReporter(io),
        checkpoint: checkpointAt(`${out}.checkpoint`, settings),
      };
      const result = await defense.run(ctx);
      let defended: QuantizedModel;
      if (result instanceof GraphModel) {
        extra.push(result);
        defended = await quantizeModel(result, profile, batches, { hooks: engine.hooks.quantizer });
      } else {
        defended = result;
      }
      if (defended.model !== subject.model) extra.push(defended.model);
      const defendedResult = evaluateSubject({ ...subject, forward: (x) => defended.predict(x) }, engine, io, 256, 'evaluating defended');
      const { fp: fpResult, quantized: quantizedResult } = await baselines;
      await saveQuantizedModel(out, defended, subject.sidecar);
      await rm(`${out}.checkpoint`, { recursive: true, force: true });
      const der = quantizedResult.asr !== null && defendedResult.asr !== null
        ? defenseEffectivenessRating({ ba: quantizedResult.ba, asr: quantizedResult.asr }, { ba: defendedResult.ba, asr: defendedResult.asr })
        : null;
      const report: PurifyReport = { fp: fpResult, quantized: quantizedResult, defended: defendedResult, der, seconds: (performance.now() - started) / 1000 };
      const label = [defenseName, ...augmentations].join(' + ');
      io.out(args.values['json'] ? `${JSON.stringify(report)}\n` : `${formatPurifyReport(report, label)}\nwrote ${out}\n`);
    } finally {
      await background?.stop();
      tf.dispose(batches);
      extra.forEach((m) => m.dispose());
      subject.dispose();
    }
    return 0;
  },
};
