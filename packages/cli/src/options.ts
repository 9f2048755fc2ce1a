import { parseArgs, type ParseArgsConfig } from 'node:util';
import { QcbError } from '@qcb/core';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  backend: { type: 'string', default: 'auto' },
  threads: { type: 'string' },
  plugin: { type: 'string', multiple: true, default: [] },
  config: { type: 'string' },
  verbose: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies OptionSpec;

export interface GlobalOptions {
  readonly backend: string;
  /** --threads N as typed; undefined: every core. */
  readonly threads?: string;
  readonly plugin: string[];
  readonly config?: string;
  readonly verbose: boolean;
  readonly help: boolean;
}

export interface Parsed {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

/** Strict parsing: an unknown option or a missing value is a usage error. */
export function parseCommandArgs(argv: readonly string[], options: OptionSpec): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...GLOBAL_OPTIONS, ...options },
      strict: true,
      allowPositionals: true,
    });
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    // Node's messages run on ("Unknown option '--x'. To specify a positional ..."): keep the first sentence.
    const first = (e as Error).message.split(/\.(\s|$)/)[0];
    throw new QcbError('E_USAGE', first.charAt(0).toLowerCase() + first.slice(1));
  }
}

export function globalsOf(p: Parsed): GlobalOptions {
  return {
    backend: p.values['backend'] as string,
    threads: p.values['threads'] as string | undefined,
    plugin: p.values['plugin'] as string[],
    config: p.values['config'] as string | undefined,
    verbose: p.values['verbose'] as boolean,
    help: p.values['help'] as boolean,
  };
}

export function requireString(p: Parsed, name: string): string {
  const v = p.values[name];
  if (typeof v !== 'string' || v === '') throw new QcbError('E_USAGE', `--${name} is required`);
  return v;
}

/** `--option key=value` pairs (repeatable) as an object of strings. */
export function optionPairs(p: Parsed): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of (p.values['option'] as string[] | undefined) ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new QcbError('E_USAGE', `--option takes key=value, got "${kv}"`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}
