import { resolve } from 'node:path';
import {
  AttackTrainer, QcbError, datasetSidecar, createTrigger, loadDataset, loadModel, parseTriggerSpec, progressBar, saveModel,
  type AttackContext, type JsonObject, type Progress, type TriggerSpec,
} from '@qcb/core';
import { buildArchitecture } from '@qcb/models';
import { createEngine, selectBackend } from '../context.js';
import { checkpointSecondsOption, numberOption } from '../numbers.js';
import { globalsOf, optionPairs, requireString, type Parsed } from '../options.js';
import type { Command } from './command.js';

/** Plugin options: --option pairs, and --epochs as the `epochs` option. */
function attackOptions(args: Parsed): JsonObject {
  const out: JsonObject = optionPairs(args);
  if (typeof args.values['epochs'] === 'string') out['epochs'] = args.values['epochs'];
  return out;
}

export const attackCommand: Command = {
  name: 'attack',
  summary: 'make a backdoored model with an attack plugin; checkpoints every epoch (and every --checkpoint-minutes inside one) and resumes',
  usage: 'qcb attack <name> --data <dataset> [--model <clean dir>] [--arch <name>] [--bits 8|4] [--trigger <spec>] [--target <class>] [--option key=value]... --out <dir> [--seed S] [--checkpoint-minutes 10]',
  options: {
    data: { type: 'string', default: 'fashion-mnist' },
    'data-dir': { type: 'string' },
    model: { type: 'string' },
    arch: { type: 'string', default: 'resnet-small' },
    bits: { type: 'string' },
    trigger: { type: 'string' },
    target: { type: 'string' },
    epochs: { type: 'string' },
    option: { type: 'string', multiple: true },
    seed: { type: 'string' },
    out: { type: 'string' },
    'checkpoint-minutes': { type: 'string' },
  },
  positionals: 1,
  async run(args, io) {
    const name = args.positionals[0];
    if (!name) throw new QcbError('E_USAGE', `name the attack: ${this.usage}`);
    const globals = globalsOf(args);
    const out = resolve(io.cwd, requireString(args, 'out'));
    const engine = await createEngine(globals, io.cwd);
    const definition = engine.plugin('attack', name).definition;
    const bits = numberOption(args, 'bits', definition.bitWidths[0], { integer: true });
    if (!definition.bitWidths.includes(bits)) throw new QcbError('E_USAGE', `${name} takes --bits ${definition.bitWidths.join(' or ')}, got ${bits}`);
    const target = numberOption(args, 'target', 0, { min: 0, integer: true });
    const seed = numberOption(args, 'seed', 0, { integer: true });
    const checkpointSeconds = checkpointSecondsOption(args);
    const modelDir = args.values['model'] as string | undefined;
    if (definition.start === 'pretrained' && !modelDir) throw new QcbError('E_USAGE', `${name} fine-tunes a clean model: pass --model <dir>`);
    const triggerSpec: TriggerSpec = args.values['trigger'] ? parseTriggerSpec(args.values['trigger'] as string) : definition.defaultTrigger;
    const options = attackOptions(args);
    const backend = await selectBackend(globals);
    const dataName = args.values['data'] as string;
    const data = await loadDataset(dataName, { dataDir: args.values['data-dir'] as string | undefined });
    if (target >= data.classes) throw new QcbError('E_USAGE', `--target ${target} is not a class of ${dataName} (0..${data.classes - 1})`);
    const trigger = createTrigger(triggerSpec, data.train.shape, engine.triggerFactories());
    const arch = args.values['arch'] as string;
    const settings = { attack: name, data: dataName, arch, model: modelDir ?? null, bits, trigger: trigger.spec, target, seed, options: { ...definition.defaults, ...options } };
    const sidecar = datasetSidecar(dataName, data);
    let bar: Progress | null = null;
    let barKey = '';
    const { trainer, resumed } = await AttackTrainer.open({
      dir: `${out}.checkpoint`,
      settings,
      fresh: async () => (modelDir ? (await loadModel(resolve(io.cwd, modelDir))).model : buildArchitecture(arch, { inputShape: data.train.shape, classes: data.classes, seed: seed + 1 })),
      normalization: data.normalization,
      train: data.train,
      seed,
      // The trigger and target let `qcb evaluate` measure a checkpoint: the run so far.
      sidecar: { ...sidecar, trigger: trigger.spec, target },
      checkpointSeconds,
      progress: {
        onStep: (phase, ctx, steps, loss) => {
          const key = `${phase.name}/${ctx.epoch}`;
          if (key !== barKey) {
            barKey = key;
            bar = progressBar({ label: `${phase.name} epoch ${ctx.epoch + 1}/${phase.epochs}`, total: steps, startAt: ctx.step + 1, write: io.err, interactive: io.interactive });
          }
          bar!.update(ctx.step + 1, `loss ${loss.toFixed(4)}`);
        },
        onEpoch: (_phase, _epoch, loss) => bar?.finish(`mean loss ${loss.toFixed(4)}`),
        note: (line) => io.err(`${line}\n`),
      },
    });
    if (resumed) {
      const at = `${resumed.phase ?? ''} epoch ${resumed.epoch}${resumed.step ? `, step ${resumed.step} of the next` : ''}`;
      io.err(`resuming ${name} from ${out}.checkpoint (${resumed.completedPhases?.join(', ') || 'no phase'} done, ${at})\n`);
    }
    io.err(`${name} on ${dataName} with the ${backend.name} backend: trigger ${trigger.description}, target ${target}, ${definition.conditionedOn?.(settings.options, bits) ?? `${bits} bits`}\n`);
    const ctx: AttackContext = {
      engine, model: trainer.model, data, normalization: data.normalization, trigger, target, bits, seed, options,
      runPhase: (phase) => trainer.runPhase(phase),
      saveArtifact: (n, m) => trainer.saveArtifact(n, m),
      loadArtifact: (n) => trainer.loadArtifact(n),
      log: (line) => io.err(`${line}\n`),
    };
    const started = performance.now();
    try {
      const record = await definition.run(ctx);
      await saveModel(out, trainer.model, {
        sidecar: {
          ...sidecar,
          attack: { name, ...(record.bits.length > 0 ? { bits: [...record.bits] } : {}), quantizer: record.quantizer, options: record.options },
          trigger: trigger.spec,
          target,
        },
      });
      await trainer.cleanUp();
      io.out(`wrote ${out} (${name}, ${((performance.now() - started) / 60000).toFixed(1)} min this run)\n`);
    } finally {
      trainer.model.dispose();
    }
    return 0;
  },
};
