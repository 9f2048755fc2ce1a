import { TOKENS } from '@qcb/core';
import { createEngine } from '../context.js';
import { globalsOf } from '../options.js';
import type { Command } from './command.js';

export const pluginsCommand: Command = {
  name: 'plugins',
  summary: 'list the registered quantizers, defenses, augmentations and attacks',
  usage: 'qcb plugins [--json] [--plugin <spec>]... [--config <file>]',
  options: { json: { type: 'boolean', default: false } },
  async run(args, io) {
    const engine = await createEngine(globalsOf(args), io.cwd);
    const registry = engine.registry();
    if (args.values['json']) {
      io.out(`${JSON.stringify(registry)}\n`);
      return 0;
    }
    const kinds = ['quantizer', 'defense', 'augmentation', 'attack'] as const;
    for (const kind of kinds) {
      const list = engine.plugins(kind);
      io.out(`${kind}s:\n`);
      if (list.length === 0) io.out('  (none)\n');
      for (const p of list) io.out(`  ${p.name.padEnd(24)} ${p.description}\n`);
    }
    io.out('triggers:\n');
    for (const p of engine.all(TOKENS.Trigger)) io.out(`  ${p.name.padEnd(24)} ${p.description}\n`);
    return 0;
  },
};
