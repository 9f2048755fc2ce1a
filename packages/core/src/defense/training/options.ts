import { QcbError } from '../../errors.js';
import type { JsonObject, JsonValue } from '../../io/folder/index.js';

/** How one `--option` value of a training defense is read and checked. */
export type OptionRule =
  | { readonly type: 'integer'; readonly min: number }
  | { readonly type: 'number'; readonly min: number; readonly exclusiveMin?: boolean; readonly max?: number }
  | { readonly type: 'boolean' }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  /** Comma-separated non-negative numbers (or a JSON array), e.g. `betas=500,1000,1000`. */
  | { readonly type: 'numbers'; readonly length?: number }
  | { readonly type: 'string' };

export type OptionRules<T> = { readonly [K in keyof T]: OptionRule };

function expected(rule: OptionRule): string {
  switch (rule.type) {
    case 'integer':
      return `an integer >= ${rule.min}`;
    case 'number':
      return `a number ${rule.exclusiveMin ? '>' : '>='} ${rule.min}${rule.max !== undefined ? ` and <= ${rule.max}` : ''}`;
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${rule.values.join(', ')}`;
    case 'numbers':
      return `${rule.length ?? 'a list of'} comma-separated non-negative numbers`;
    case 'string':
      return 'a string';
  }
}

/** The parsed value, or undefined when it breaks the rule. */
function parse(raw: JsonValue, rule: OptionRule): unknown {
  switch (rule.type) {
    case 'integer': {
      const v = typeof raw === 'string' && raw.trim() === '' ? NaN : Number(raw);
      return Number.isInteger(v) && v >= rule.min ? v : undefined;
    }
    case 'number': {
      const v = typeof raw === 'string' && raw.trim() === '' ? NaN : Number(raw);
      const ok = Number.isFinite(v) && (rule.exclusiveMin ? v > rule.min : v >= rule.min) && (rule.max === undefined || v <= rule.max);
      return ok ? v : undefined;
    }
    case 'boolean':
      if (raw === true || raw === 'true' || raw === 1 || raw === '1') return true;
      if (raw === false || raw === 'false' || raw === 0 || raw === '0') return false;
      return undefined;
    case 'enum':
      return typeof raw === 'string' && rule.values.includes(raw) ? raw : undefined;
    case 'numbers': {
      const parts = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [raw];
      const values = parts.map((p) => (typeof p === 'string' && p.trim() === '' ? NaN : Number(p)));
      const ok = values.length > 0 && values.every((v) => Number.isFinite(v) && v >= 0) && (rule.length === undefined || values.length === rule.length);
      return ok ? values : undefined;
    }
    case 'string':
      return typeof raw === 'string' ? raw : undefined;
  }
}

/**
 * A preset's options with the run's `--option` overrides of the keys in `rules` (the run's
 * other keys belong to augmentations and are left alone). Values may arrive as strings;
 * a bad one is a one-line usage error naming the key, what it must be and what it got.
 */
export function resolveTrainingOptions<T extends object>(base: T, rules: OptionRules<T>, overrides: JsonObject): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, rule] of Object.entries(rules) as Array<[string, OptionRule]>) {
    const raw = overrides[key];
    if (raw === undefined) continue;
    const value = parse(raw, rule);
    if (value === undefined) throw new QcbError('E_USAGE', `--option ${key} must be ${expected(rule)}, got ${JSON.stringify(raw)}`);
    out[key] = value;
  }
  return out as T;
}
