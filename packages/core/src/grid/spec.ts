import { QcbError } from '../errors.js';
import type { Preset } from '../defense/defense-plugin.js';

/** One entry of a spec's `defenses`: a defense with the augmentations and options of its cells. */
export interface GridDefense {
  readonly defense: string;
  readonly augment: readonly string[];
  /** `--option` values, as the command line passes them (strings). */
  readonly options: Readonly<Record<string, string>>;
  /** Names the entry in progress lines and tables. */
  readonly label: string;
}

/** A validated grid spec: its cells are the cross product of the axes. */
export interface GridSpec {
  /** Model folders as written in the spec (resolved later, against the file system). */
  readonly models: readonly string[];
  readonly quantizers: readonly string[];
  readonly defenses: readonly GridDefense[];
  readonly presets: readonly Preset[];
  readonly seeds: readonly number[];
  /** The defender's share of the training set (purify's default when the spec has none). */
  readonly share: number;
  readonly samples: number;
  /** Dataset name for every model; null: each model's qcb.json says. */
  readonly data: string | null;
}

const DEFAULT_SHARE = 0.05;
const DEFAULT_SAMPLES = 1024;

const SPEC_KEYS = ['models', 'quantizers', 'defenses', 'preset', 'seeds', 'share', 'samples', 'data', 'options'] as const;
const DEFENSE_KEYS = ['defense', 'augment', 'options', 'label'] as const;

type Fail = (field: string, problem: string) => never;

function describe(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(o: Record<string, unknown>, allowed: readonly string[], at: string, fail: Fail): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) fail(at ? `${at}.${k}` : k, `is not a spec field (fields: ${allowed.join(', ')})`);
  }
}

function name(v: unknown, field: string, fail: Fail): string {
  if (typeof v !== 'string' || v.trim() === '') fail(field, `must be a non-empty string, got ${describe(v)}`);
  return v.trim();
}

function list<T>(v: unknown, field: string, fail: Fail, item: (x: unknown, at: string) => T): T[] {
  if (!Array.isArray(v) || v.length === 0) fail(field, `must be a non-empty array, got ${describe(v)}`);
  const out = v.map((x, i) => item(x, `${field}[${i}]`));
  const seen = out.map((x) => JSON.stringify(x));
  seen.forEach((s, i) => {
    const first = seen.indexOf(s);
    if (first < i) fail(`${field}[${i}]`, `repeats ${field}[${first}]`);
  });
  return out;
}

function options(v: unknown, field: string, fail: Fail): Record<string, string> {
  if (v === undefined) return {};
  if (!isObject(v)) fail(field, `must be an object of option values, got ${describe(v)}`);
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v)) {
    // The key goes on the command line as --option key=value.
    if (k === '' || k.includes('=')) fail(`${field}`, `has a bad option name ${JSON.stringify(k)}`);
    if (typeof value !== 'string' && typeof value !== 'boolean' && !(typeof value === 'number' && Number.isFinite(value))) {
      fail(`${field}.${k}`, `must be a string, number or boolean, got ${describe(value)}`);
    }
    out[k] = String(value);
  }
  return out;
}

function sorted(o: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function defenseLabel(defense: string, augment: readonly string[], opts: Readonly<Record<string, string>>): string {
  const base = [defense, ...augment].join('+');
  const pairs = Object.entries(opts).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? `${base}{${pairs.join(',')}}` : base;
}

/** "lac", "lac+pda", or { defense, augment?, options?, label? }; spec-wide options first, the entry's win. */
function defenseEntry(v: unknown, field: string, common: Record<string, string>, fail: Fail): GridDefense {
  if (typeof v === 'string') {
    const parts = v.split('+').map((p) => p.trim());
    if (parts.some((p) => p === '')) fail(field, `must be "defense" or "defense+augmentation", got ${describe(v)}`);
    const [defense, ...augment] = parts;
    return { defense, augment, options: common, label: defenseLabel(defense, augment, {}) };
  }
  if (!isObject(v)) fail(field, `must be a string such as "lac+pda" or an object with "defense", got ${describe(v)}`);
  checkKeys(v, DEFENSE_KEYS, field, fail);
  const defense = name(v['defense'], `${field}.defense`, fail);
  const rawAugment = v['augment'] === undefined ? [] : typeof v['augment'] === 'string' ? [v['augment']] : v['augment'];
  const augment = Array.isArray(rawAugment) && rawAugment.length === 0 ? [] : list(rawAugment, `${field}.augment`, fail, (x, at) => name(x, at, fail));
  const own = options(v['options'], `${field}.options`, fail);
  const merged = sorted({ ...common, ...own });
  const label = v['label'] === undefined ? defenseLabel(defense, augment, own) : name(v['label'], `${field}.label`, fail);
  return { defense, augment, options: merged, label };
}

function preset(v: unknown, field: string, fail: Fail): Preset {
  if (v !== 'fast' && v !== 'paper') fail(field, `must be "fast" or "paper", got ${describe(v)}`);
  return v;
}

function number(v: unknown, field: string, fail: Fail, check: { integer?: boolean; min?: number; max?: number; above?: number }): number {
  const bad = typeof v !== 'number' || !Number.isFinite(v) || (check.integer && !Number.isInteger(v)) ||
    (check.min !== undefined && v < check.min) || (check.max !== undefined && v > check.max) || (check.above !== undefined && v <= check.above);
  if (bad) {
    const bounds = [check.above !== undefined ? `> ${check.above}` : '', check.min !== undefined ? `>= ${check.min}` : '', check.max !== undefined ? `<= ${check.max}` : ''];
    fail(field, `must be ${check.integer ? 'an integer' : 'a number'} ${bounds.filter(Boolean).join(' and ')}, got ${describe(v)}`);
  }
  return v as number;
}

/**
 * Validates a parsed spec file. Every error is one line that names the bad field,
 * prefixed with `source` (the file).
 */
export function parseGridSpec(raw: unknown, source = 'spec'): GridSpec {
  const fail: Fail = (field, problem) => {
    throw new QcbError('E_USAGE', `${source}: ${field} ${problem}`);
  };
  if (!isObject(raw)) fail('the spec', `must be a JSON object, got ${Array.isArray(raw) ? 'an array' : describe(raw)}`);
  checkKeys(raw, SPEC_KEYS, '', fail);
  for (const required of ['models', 'quantizers', 'defenses', 'seeds'] as const) {
    if (raw[required] === undefined) fail(required, 'is required');
  }
  const common = sorted(options(raw['options'], 'options', fail));
  const presets = raw['preset'] === undefined ? ['fast' as const] : typeof raw['preset'] === 'string' ? [preset(raw['preset'], 'preset', fail)] : list(raw['preset'], 'preset', fail, (x, at) => preset(x, at, fail));
  const defenses = list(raw['defenses'], 'defenses', fail, (x, at) => defenseEntry(x, at, common, fail));
  const sameRun = defenses.map((d) => JSON.stringify([d.defense, d.augment, d.options]));
  sameRun.forEach((s, i) => {
    if (sameRun.indexOf(s) < i) fail(`defenses[${i}]`, `runs the same settings as defenses[${sameRun.indexOf(s)}]`);
  });
  const labels = defenses.map((d) => d.label);
  labels.forEach((l, i) => {
    if (labels.indexOf(l) < i) fail(`defenses[${i}]`, `has the label "${l}" of defenses[${labels.indexOf(l)}]`);
  });
  return {
    models: list(raw['models'], 'models', fail, (x, at) => name(x, at, fail)),
    quantizers: list(raw['quantizers'], 'quantizers', fail, (x, at) => name(x, at, fail)),
    defenses,
    presets,
    seeds: list(raw['seeds'], 'seeds', fail, (x, at) => number(x, at, fail, { integer: true, min: 0 })),
    share: raw['share'] === undefined ? DEFAULT_SHARE : number(raw['share'], 'share', fail, { above: 0, max: 1 }),
    samples: raw['samples'] === undefined ? DEFAULT_SAMPLES : number(raw['samples'], 'samples', fail, { integer: true, min: 1 }),
    data: raw['data'] === undefined ? null : name(raw['data'], 'data', fail),
  };
}
