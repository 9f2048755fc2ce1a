import type { CliIO } from '../io.js';
import type { OptionSpec, Parsed } from '../options.js';

/** One `qcb <name>` subcommand. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: OptionSpec;
  /** Returns the exit code. */
  run(args: Parsed, io: CliIO): Promise<number>;
}
