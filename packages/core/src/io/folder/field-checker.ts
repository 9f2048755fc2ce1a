import { QcbError, type QcbErrorCode } from '../../errors.js';
import { isPlainObject } from './json.js';

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  if (text === undefined) return typeof value;
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Hand-written validation helpers whose errors name the file and the field path. */
export class FieldChecker {
  constructor(
    private readonly file: string,
    private readonly code: QcbErrorCode,
  ) {}

  fail(path: string, problem: string, hint?: string): never {
    const subject = path === '' ? '' : `${path} `;
    throw new QcbError(this.code, `${this.file}: ${subject}${problem}`, hint === undefined ? {} : { hint });
  }

  /** A plain object whose keys are all in `allowed`. */
  object(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
    if (!isPlainObject(value)) this.fail(path, `must be a JSON object, got ${describeValue(value)}`);
    for (const key of Object.keys(value)) {
      if (allowed.includes(key)) continue;
      const full = path === '' ? key : `${path}.${key}`;
      const close = allowed.find((k) => k.toLowerCase() === key.toLowerCase() || editDistance(k, key) <= 2);
      const hint = close === undefined ? `allowed keys: ${allowed.join(', ')}` : `did you mean '${close}'?`;
      throw new QcbError(this.code, `${this.file}: unknown key '${full}'`, { hint });
    }
    return value;
  }

  string(value: unknown, path: string, nonEmpty = false): string {
    if (typeof value !== 'string' || (nonEmpty && value.length === 0)) {
      this.fail(path, `must be a ${nonEmpty ? 'non-empty ' : ''}string, got ${describeValue(value)}`);
    }
    return value;
  }

  /** A finite number within optional bounds; `what` phrases the requirement for messages. */
  number(value: unknown, path: string, what: string, ok: (n: number) => boolean = () => true): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
      this.fail(path, `must be ${what}, got ${describeValue(value)}`);
    }
    return value;
  }

  integer(value: unknown, path: string, what: string, ok: (n: number) => boolean = () => true): number {
    return this.number(value, path, what, (n) => Number.isSafeInteger(n) && ok(n));
  }

  array(value: unknown, path: string, nonEmpty = false): unknown[] {
    if (!Array.isArray(value) || (nonEmpty && value.length === 0)) {
      this.fail(path, `must be a ${nonEmpty ? 'non-empty ' : ''}array, got ${describeValue(value)}`);
    }
    return value;
  }
}
