import { resolve } from 'node:path';
import {
  QcbError, datasetSidecar, formatDuration, loadCheckpoint, loadDataset, progressBar, removeCheckpoint, saveCheckpoint, saveModel,
  trainClassifier, type AugmentSpec, type ClassifierTrainingConfig, type Dataset, type GraphModel,
} from '@qcb/core';
import { buildArchitecture } from '@qcb/models';
import { createEngine, selectBackend } from '../context.js';
import { checkpointSecondsOption, numberOption } from '../numbers.js';
import { globalsOf, requireString, type Parsed } from '../options.js';
import type { Command } from './command.js';

const AUGMENTS: Record<string, AugmentSpec | undefined> = {
  none: undefined,
  crop: { padCrop: 2 },
  'crop-flip': { padCrop: 2, flip: true },
};
const DATASET_DEFAULT = 'dataset';

function trainingConfig(args: Parsed, data: Dataset): ClassifierTrainingConfig {
  const augment = (args.values['augment'] as string | undefined) ?? DATASET_DEFAULT;
  if (augment !== DATASET_DEFAULT && !(augment in AUGMENTS)) {
    throw new QcbError('E_USAGE', `--augment must be one of ${DATASET_DEFAULT}, ${Object.keys(AUGMENTS).join(', ')}, got "${augment}"`);
  }
  return {
    epochs: numberOption(args, 'epochs', 12, { min: 1, integer: true }),
    batchSize: numberOption(args, 'batch-size', 128, { min: 1, integer: true }),
    optimizer: {
      type: 'sgd',
      momentum: numberOption(args, 'momentum', 0.9, { min: 0, max: 1 }),
      nesterov: true,
      weightDecay: numberOption(args, 'weight-decay', 5e-4, { min: 0 }),
    },
    schedule: { type: 'cosine', lr: numberOption(args, 'lr', 0.05, { min: 0 }) },
    augment: augment === DATASET_DEFAULT ? data.augmentation : AUGMENTS[augment],
    seed: numberOption(args, 'seed', 0, { integer: true }),
  };
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a clean model; checkpoints every epoch (and every --checkpoint-minutes inside one) and resumes an interrupted run',
  usage: 'qcb train --arch <name> [--width 1] --data <dataset> --epochs N --out <dir> [--seed S] [--data-dir <dir>] [--batch-size 128] [--lr 0.05] [--augment dataset|crop-flip|crop|none] [--checkpoint-minutes 10]',
  options: {
    arch: { type: 'string', default: 'resnet-small' },
    width: { type: 'string' },
    data: { type: 'string', default: 'fashion-mnist' },
    'data-dir': { type: 'string' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    lr: { type: 'string' },
    momentum: { type: 'string' },
    'weight-decay': { type: 'string' },
    augment: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    'checkpoint-minutes': { type: 'string' },
  },
  async run(args, io) {
    const globals = globalsOf(args);
    const out = resolve(io.cwd, requireString(args, 'out'));
    const arch = args.values['arch'] as string;
    const dataName = args.values['data'] as string;
    await createEngine(globals, io.cwd);
    const backend = await selectBackend(globals);
    const data = await loadDataset(dataName, { dataDir: args.values['data-dir'] as string | undefined });
    const config = trainingConfig(args, data);
    const width = numberOption(args, 'width', 1, { min: 0.01 });
    const settings = { arch, ...(width === 1 ? {} : { width }), data: dataName, ...config };
    const checkpointDir = `${out}.checkpoint`;
    const checkpointSeconds = checkpointSecondsOption(args);
    const checkpoint = await loadCheckpoint(checkpointDir, settings);
    let model: GraphModel;
    if (checkpoint) {
      model = checkpoint.model;
      const step = checkpoint.state.step ? `, step ${checkpoint.state.step} of epoch ${checkpoint.state.epoch + 1}` : '';
      io.err(`resuming from ${checkpointDir} after epoch ${checkpoint.state.epoch}${step}\n`);
    } else {
      model = buildArchitecture(arch, { inputShape: data.train.shape, classes: data.classes, seed: config.seed + 1, width });
    }
    const sidecar = datasetSidecar(dataName, data);
    const history: unknown[] = [...(checkpoint?.state.history ?? [])];
    io.err(`training ${arch} (${model.paramCounts().total.toLocaleString('en-US')} parameters) on ${dataName} (${data.train.count} images) with the ${backend.name} backend\n`);
    const started = performance.now();
    let bar = progressBar({ label: 'epoch', total: 1, write: io.err, interactive: io.interactive });
    let barEpoch = -1;
    try {
      await trainClassifier(model, data, config, {
        resume: checkpoint ? { epoch: checkpoint.state.epoch, step: checkpoint.state.step, lossSum: checkpoint.state.lossSum, slots: checkpoint.slots } : undefined,
        checkpointSeconds,
        onCheckpoint: (at, optimizer) => saveCheckpoint(checkpointDir, model, optimizer, { epoch: at.epoch, step: at.step, lossSum: at.lossSum, settings, history }, sidecar),
        onStep: (ctx, steps, loss) => {
          if (ctx.epoch !== barEpoch) {
            barEpoch = ctx.epoch;
            bar = progressBar({ label: `epoch ${ctx.epoch + 1}/${config.epochs}`, total: steps, startAt: ctx.step + 1, write: io.err, interactive: io.interactive });
          }
          bar.update(ctx.step + 1, `loss ${loss.toFixed(4)} lr ${ctx.lr.toPrecision(3)}`);
        },
        onEpoch: async (report, optimizer) => {
          bar.finish(`loss ${report.loss.toFixed(4)}  test accuracy ${report.testAccuracy.toFixed(2)}%`);
          history.push(report);
          if (report.epoch + 1 < config.epochs) {
            await saveCheckpoint(checkpointDir, model, optimizer, { epoch: report.epoch + 1, settings, history }, sidecar);
          }
        },
      });
      const last = history[history.length - 1] as { testAccuracy: number } | undefined;
      await saveModel(out, model, { sidecar, extraFiles: { 'training.json': JSON.stringify({ settings, history }, null, 1) } });
      await removeCheckpoint(checkpointDir);
      io.out(`wrote ${out}: test accuracy ${last ? last.testAccuracy.toFixed(2) : '?'}% after ${config.epochs} epochs (${formatDuration((performance.now() - started) / 1000)} this run)\n`);
    } finally {
      model.dispose();
    }
    return 0;
  },
};
