import { describeValue, FieldChecker } from './field-checker.js';
import { isJsonObject, type JsonObject } from './json.js';

export type TriggerSpec =
  | { type: 'patch'; size: number; row?: number; col?: number; value?: number }
  | { type: 'blend'; alpha: number; pattern?: string; seed?: number }
  | { type: 'wanet'; k?: number; s?: number; seed?: number };

export interface QcbSidecar {
  version: 1;
  dataset?: string;
  /** [height, width, channels] */
  inputShape?: number[];
  classes?: number;
  normalization?: { mean: number[]; std: number[] };
  attack?: { name: string; bits?: number[]; quantizer?: string; options?: JsonObject };
  trigger?: TriggerSpec;
  target?: number;
  labels?: string[];
  notes?: string;
}

const TOP_KEYS = [
  'version', 'dataset', 'inputShape', 'classes', 'normalization',
  'attack', 'trigger', 'target', 'labels', 'notes',
] as const;

const TRIGGER_KEYS = {
  patch: ['type', 'size', 'row', 'col', 'value'],
  blend: ['type', 'alpha', 'pattern', 'seed'],
  wanet: ['type', 'k', 's', 'seed'],
} as const;

const positive = (n: number): boolean => n > 0;
const nonNegative = (n: number): boolean => n >= 0;

function parseNormalization(c: FieldChecker, raw: unknown, inputShape: number[] | undefined): QcbSidecar['normalization'] {
  const obj = c.object(raw, 'normalization', ['mean', 'std']);
  const mean = c.array(obj.mean, 'normalization.mean', true).map((v, i) => c.number(v, `normalization.mean[${i}]`, 'a finite number'));
  const std = c.array(obj.std, 'normalization.std', true).map((v, i) => c.number(v, `normalization.std[${i}]`, 'a number > 0', positive));
  if (mean.length !== std.length) {
    c.fail('normalization', `mean has ${mean.length} values but std has ${std.length}; they must have the same length`);
  }
  const channels = inputShape?.[2];
  if (channels !== undefined && mean.length !== 1 && mean.length !== channels) {
    c.fail('normalization.mean', `has ${mean.length} values; expected 1 or ${channels} (the channels in inputShape)`);
  }
  return { mean, std };
}

function parseAttack(c: FieldChecker, raw: unknown): QcbSidecar['attack'] {
  const obj = c.object(raw, 'attack', ['name', 'bits', 'quantizer', 'options']);
  const attack: NonNullable<QcbSidecar['attack']> = { name: c.string(obj.name, 'attack.name', true) };
  if (obj.bits !== undefined) {
    attack.bits = c.array(obj.bits, 'attack.bits', true)
      .map((v, i) => c.integer(v, `attack.bits[${i}]`, 'an integer from 1 to 32', (n) => n >= 1 && n <= 32));
  }
  if (obj.quantizer !== undefined) attack.quantizer = c.string(obj.quantizer, 'attack.quantizer', true);
  if (obj.options !== undefined) {
    if (!isJsonObject(obj.options)) c.fail('attack.options', 'must be a JSON object');
    attack.options = structuredClone(obj.options);
  }
  return attack;
}

function parseTrigger(c: FieldChecker, raw: unknown, inputShape: number[] | undefined): TriggerSpec {
  const type = c.object(raw, 'trigger', ['type', ...new Set(Object.values(TRIGGER_KEYS).flat())]).type;
  if (type !== 'patch' && type !== 'blend' && type !== 'wanet') {
    c.fail('trigger.type', `must be 'patch', 'blend' or 'wanet', got ${describeValue(type)}`);
  }
  const obj = c.object(raw, 'trigger', TRIGGER_KEYS[type]);
  const seed = (): number | undefined =>
    obj.seed === undefined ? undefined : c.integer(obj.seed, 'trigger.seed', 'an integer');
  if (type === 'patch') {
    const t: TriggerSpec = { type, size: c.integer(obj.size, 'trigger.size', 'a positive integer', positive) };
    if (obj.row !== undefined) t.row = c.integer(obj.row, 'trigger.row', 'a non-negative integer', nonNegative);
    if (obj.col !== undefined) t.col = c.integer(obj.col, 'trigger.col', 'a non-negative integer', nonNegative);
    if (obj.value !== undefined) t.value = c.number(obj.value, 'trigger.value', 'a finite number');
    if (inputShape !== undefined) {
      const [h, w] = inputShape;
      if ((t.row ?? 0) + t.size > h) c.fail('trigger', `patch rows ${t.row ?? 0}..${(t.row ?? 0) + t.size - 1} do not fit the input height ${h}`);
      if ((t.col ?? 0) + t.size > w) c.fail('trigger', `patch columns ${t.col ?? 0}..${(t.col ?? 0) + t.size - 1} do not fit the input width ${w}`);
    }
    return t;
  }
  if (type === 'blend') {
    const t: TriggerSpec = { type, alpha: c.number(obj.alpha, 'trigger.alpha', 'a number in (0, 1]', (n) => n > 0 && n <= 1) };
    if (obj.pattern !== undefined) t.pattern = c.string(obj.pattern, 'trigger.pattern', true);
    const s = seed();
    if (s !== undefined) t.seed = s;
    return t;
  }
  const t: TriggerSpec = { type };
  if (obj.k !== undefined) t.k = c.integer(obj.k, 'trigger.k', 'a positive integer', positive);
  if (obj.s !== undefined) t.s = c.number(obj.s, 'trigger.s', 'a positive number', positive);
  const s = seed();
  if (s !== undefined) t.seed = s;
  return t;
}

/** Validates the content of a qcb.json sidecar; `file` names it in error messages (E_SIDECAR). */
export function parseSidecar(json: unknown, file: string): QcbSidecar {
  const c = new FieldChecker(file, 'E_SIDECAR');
  const obj = c.object(json, '', TOP_KEYS);
  if (obj.version === undefined) c.fail('version', 'is required (must be 1)');
  if (obj.version !== 1) c.fail('version', `must be 1, got ${describeValue(obj.version)}`);
  const out: QcbSidecar = { version: 1 };

  if (obj.dataset !== undefined) out.dataset = c.string(obj.dataset, 'dataset', true);
  if (obj.inputShape !== undefined) {
    const shape = c.array(obj.inputShape, 'inputShape');
    if (shape.length !== 3) c.fail('inputShape', `must have 3 entries [height, width, channels], got ${shape.length}`);
    out.inputShape = shape.map((v, i) => c.integer(v, `inputShape[${i}]`, 'a positive integer', positive));
  }
  if (obj.classes !== undefined) out.classes = c.integer(obj.classes, 'classes', 'an integer >= 2', (n) => n >= 2);
  if (obj.normalization !== undefined) out.normalization = parseNormalization(c, obj.normalization, out.inputShape);
  if (obj.attack !== undefined) out.attack = parseAttack(c, obj.attack);
  if (obj.trigger !== undefined) out.trigger = parseTrigger(c, obj.trigger, out.inputShape);
  if (obj.target !== undefined) {
    const classes = out.classes;
    out.target = classes === undefined
      ? c.integer(obj.target, 'target', 'a non-negative integer', nonNegative)
      : c.integer(obj.target, 'target', `an integer from 0 to ${classes - 1} (classes is ${classes})`, (n) => n >= 0 && n < classes);
  }
  if (obj.labels !== undefined) {
    out.labels = c.array(obj.labels, 'labels').map((v, i) => c.string(v, `labels[${i}]`));
    if (out.classes !== undefined && out.labels.length !== out.classes) {
      c.fail('labels', `has ${out.labels.length} entries but classes is ${out.classes}`);
    }
  }
  if (obj.notes !== undefined) out.notes = c.string(obj.notes, 'notes');
  return out;
}

/** Validates and serializes a sidecar as qcb.json text (2-space indent, trailing newline). */
export function serializeSidecar(s: QcbSidecar): string {
  return `${JSON.stringify(parseSidecar(s, 'qcb.json'), null, 2)}\n`;
}
