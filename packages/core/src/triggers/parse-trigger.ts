import { QcbError } from '../errors.js';
import type { TriggerSpec } from '../io/folder/sidecar.js';
import { BUILTIN_TRIGGER_FACTORIES } from './builtin-factories.js';
import { assertInputShape } from './shape.js';
import type { InputShape, Trigger, TriggerFactory } from './trigger.js';

const USAGE = "patch:SIZE[@ROW,COL][,value=V] | blend:ALPHA[,pattern=NAME][,seed=N] | wanet[:k=K,s=S,seed=N]";

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

class SpecParser {
  constructor(private readonly text: string) {}

  fail(message: string): never {
    throw new QcbError('E_USAGE', `bad trigger "${this.text}": ${message}`, { hint: `expected ${USAGE}` });
  }

  integer(raw: string, what: string, min: number | null): number {
    if (!INTEGER.test(raw)) this.fail(`${what} "${raw}" is not an integer`);
    const n = Number(raw);
    if (min !== null && n < min) this.fail(`${what} must be ${min === 0 ? 'non-negative' : `at least ${min}`}, got ${raw}`);
    return n;
  }

  number(raw: string, what: string): number {
    if (!DECIMAL.test(raw) || !Number.isFinite(Number(raw))) this.fail(`${what} "${raw}" is not a number`);
    return Number(raw);
  }

  /** key=value options; `allowed` lists the keys. */
  options(tokens: readonly string[], allowed: readonly string[]): Map<string, string> {
    const out = new Map<string, string>();
    for (const token of tokens) {
      const eq = token.indexOf('=');
      if (eq <= 0) this.fail(`"${token}" should be key=value (keys: ${allowed.join(', ')})`);
      const key = token.slice(0, eq);
      const value = token.slice(eq + 1);
      if (!allowed.includes(key)) this.fail(`unknown option "${key}" (keys: ${allowed.join(', ')})`);
      if (out.has(key)) this.fail(`option "${key}" is given twice`);
      if (value === '') this.fail(`option "${key}" has no value`);
      out.set(key, value);
    }
    return out;
  }
}

function parsePatch(p: SpecParser, tokens: string[]): TriggerSpec {
  const [first = '', ...rest] = tokens;
  const at = first.indexOf('@');
  const size = p.integer(at < 0 ? first : first.slice(0, at), 'size', 1);
  const spec: TriggerSpec = { type: 'patch', size };
  if (at >= 0) {
    const colToken = rest.shift();
    if (colToken === undefined) p.fail(`position "@${first.slice(at + 1)}" needs a row and a column, e.g. patch:${size}@24,24`);
    spec.row = p.integer(first.slice(at + 1), 'row', 0);
    spec.col = p.integer(colToken, 'column', 0);
  }
  const opts = p.options(rest, at >= 0 ? ['value'] : ['row', 'col', 'value']);
  const row = opts.get('row');
  const col = opts.get('col');
  const value = opts.get('value');
  if (row !== undefined) spec.row = p.integer(row, 'row', 0);
  if (col !== undefined) spec.col = p.integer(col, 'col', 0);
  if (value !== undefined) spec.value = p.number(value, 'value');
  return spec;
}

function parseBlend(p: SpecParser, tokens: string[]): TriggerSpec {
  const [first = '', ...rest] = tokens;
  const alpha = p.number(first, 'alpha');
  if (!(alpha > 0 && alpha <= 1)) p.fail(`alpha must be in (0, 1], got ${first}`);
  const spec: TriggerSpec = { type: 'blend', alpha };
  const opts = p.options(rest, ['pattern', 'seed']);
  const pattern = opts.get('pattern');
  const seed = opts.get('seed');
  if (pattern !== undefined) spec.pattern = pattern;
  if (seed !== undefined) spec.seed = p.integer(seed, 'seed', null);
  return spec;
}

function parseWanet(p: SpecParser, tokens: string[]): TriggerSpec {
  const spec: TriggerSpec = { type: 'wanet' };
  const opts = p.options(tokens, ['k', 's', 'seed']);
  const k = opts.get('k');
  const s = opts.get('s');
  const seed = opts.get('seed');
  if (k !== undefined) spec.k = p.integer(k, 'k', 1);
  if (s !== undefined) {
    spec.s = p.number(s, 's');
    if (spec.s <= 0) p.fail(`s must be positive, got ${s}`);
  }
  if (seed !== undefined) spec.seed = p.integer(seed, 'seed', null);
  return spec;
}

/**
 * Parses a command-line trigger: `patch:4`, `patch:6@24,24`, `patch:3,value=0.5`,
 * `blend:0.1`, `blend:0.2,seed=3`, `wanet`, `wanet:k=4,s=0.5,seed=1`. Throws E_USAGE naming
 * the bad part. Checks that need the input shape (does the patch fit?) happen in createTrigger.
 */
export function parseTriggerSpec(text: string): TriggerSpec {
  const p = new SpecParser(text);
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const type = colon < 0 ? trimmed : trimmed.slice(0, colon);
  const body = colon < 0 ? null : trimmed.slice(colon + 1);
  const tokens = body === null ? [] : body.split(',').map((t) => t.trim());
  if (tokens.some((t) => t === '')) p.fail('empty part between commas');
  switch (type) {
    case 'patch':
      if (tokens.length === 0) p.fail('patch needs a size, e.g. patch:4');
      return parsePatch(p, tokens);
    case 'blend':
      if (tokens.length === 0) p.fail('blend needs an alpha, e.g. blend:0.1');
      return parseBlend(p, tokens);
    case 'wanet':
      return parseWanet(p, tokens);
    default:
      return p.fail(`unknown trigger type "${type}" (types: patch, blend, wanet)`);
  }
}

/** Builds the trigger for a spec with the factory registered for its type. */
export function createTrigger(
  spec: TriggerSpec,
  inputShape: InputShape,
  factories: readonly TriggerFactory[] = BUILTIN_TRIGGER_FACTORIES,
): Trigger {
  assertInputShape(inputShape);
  const factory = factories.find((f) => f.type === spec.type);
  if (factory === undefined) {
    const known = factories.map((f) => f.type).join(', ') || 'none registered';
    throw new QcbError('E_USAGE', `no trigger factory for type "${String(spec.type)}" (available: ${known})`);
  }
  return factory.create(spec, inputShape);
}
