import { QcbError } from '../errors.js';

/** The usage error for an --option key no plugin reads, listing the keys that are read. */
export function unknownOptionError(key: string, known: readonly string[]): QcbError {
  return new QcbError('E_USAGE', `unknown option "${key}" (options: ${known.join(', ')})`);
}

function parseFlag(key: string, v: unknown): boolean {
  if (v === true || v === 'true' || v === 1 || v === '1') return true;
  if (v === false || v === 'false' || v === 0 || v === '0') return false;
  throw new QcbError('E_USAGE', `option "${key}" must be true or false, got ${JSON.stringify(v)}`);
}

/**
 * Plugin options with the user's overrides (from --option key=value): each value takes the
 * type of its default (number, true/false, or string); an unknown key is a usage error.
 */
export function withOverrides<T extends object>(defaults: T, overrides: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in defaults)) throw unknownOptionError(k, Object.keys(defaults));
    const d = (defaults as Record<string, unknown>)[k];
    if (typeof d === 'boolean') out[k] = parseFlag(k, v);
    else out[k] = typeof d === 'number' ? Number(v) : v;
    if (typeof d === 'number' && !Number.isFinite(out[k] as number)) throw new QcbError('E_USAGE', `option "${k}" must be a number, got ${JSON.stringify(v)}`);
  }
  return out as T;
}
