import { QcbError, isQcbError } from '@qcb/core';
import type { Command } from './commands/command.js';
import { inspectCommand } from './commands/inspect.js';
import { pluginsCommand } from './commands/plugins.js';
import { trainCommand } from './commands/train.js';
import { evaluateCommand } from './commands/evaluate.js';
import { quantizeCommand } from './commands/quantize.js';
import { attackCommand } from './commands/attack.js';
import { purifyCommand } from './commands/purify.js';
import { scanCommand } from './commands/scan.js';
import { gridCommand } from './commands/grid.js';
import { reportCommand } from './commands/report.js';
import type { CliIO } from './io.js';
import { GLOBAL_OPTIONS, parseCommandArgs } from './options.js';

export const COMMANDS: readonly Command[] = [inspectCommand, trainCommand, evaluateCommand, quantizeCommand, attackCommand, purifyCommand, scanCommand, gridCommand, reportCommand, pluginsCommand];

function helpText(): string {
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`);
  return [
    'qcb: defend quantized models against quantization-conditioned backdoors',
    '',
    'usage: qcb <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'global options:',
    '  --backend auto|tensorflow|wasm|cpu   compute backend (default auto)',
    '  --threads N                           cores a run uses on wasm or cpu (default: every core)',
    '  --plugin <spec>                       load a plugin package or file (repeatable)',
    '  --config <file>                       JSON config with {"plugins": [...]} (default ./qcb.config.json)',
    '  --verbose                             stack traces on errors',
    '',
  ].join('\n');
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const verbose = argv.includes('--verbose');
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.out(helpText());
      return name === undefined ? 2 : 0;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) {
      throw new QcbError('E_USAGE', `unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
    }
    const args = parseCommandArgs(rest, command.options);
    if (args.values['help']) {
      io.out(`usage: ${command.usage}\n`);
      return 0;
    }
    if (args.positionals.length > (command.positionals ?? 0)) {
      throw new QcbError('E_USAGE', `unexpected argument "${args.positionals[command.positionals ?? 0]}" (usage: ${command.usage})`);
    }
    return await command.run(args, io);
  } catch (e) {
    const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
    const hint = isQcbError(e) && e.hint ? ` (${e.hint})` : '';
    io.err(`qcb: error: ${message}${hint}\n`);
    if (verbose && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
    return isQcbError(e) && e.code === 'E_USAGE' ? 2 : 1;
  }
}

export { GLOBAL_OPTIONS };
