import type { CliIO } from '../io.js';
import type { OptionSpec, Parsed } from '../options.js';

/** One `qcb <name>` subcommand. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: OptionSpec;
  /** Positional arguments the command takes (default 0). */
  readonly positionals?: number;
  /** Returns the exit code. */
  run(args: Parsed, io: CliIO): Promise<number>;
}
