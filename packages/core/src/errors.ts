/** Error codes used across qcb. Other strings are accepted so packages can add their own. */
export type KnownQcbErrorCode =
  | 'E_MODEL_MISSING'
  | 'E_MODEL_JSON'
  | 'E_WEIGHT_PATH'
  | 'E_WEIGHT_SIZE'
  | 'E_WEIGHT_VALUE'
  | 'E_SIDECAR'
  | 'E_LAYER_UNSUPPORTED'
  | 'E_PLUGIN'
  | 'E_BACKEND'
  | 'E_USAGE'
  | 'E_DATA'
  | 'E_IO'
  | 'E_MEMORY';

// `string & {}` keeps editor completion for the known codes while allowing others.
export type QcbErrorCode = KnownQcbErrorCode | (string & {});

export interface QcbErrorOptions {
  hint?: string;
  cause?: unknown;
}

// A brand that survives duplicate copies of this module (e.g. src and dist both loaded).
const BRAND = Symbol.for('qcb.error');

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

export class QcbError extends Error {
  readonly code: QcbErrorCode;
  readonly hint?: string;

  constructor(code: QcbErrorCode, message: string, options: QcbErrorOptions = {}) {
    super(oneLine(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'QcbError';
    this.code = code;
    if (options.hint !== undefined) this.hint = oneLine(options.hint);
    Object.defineProperty(this, BRAND, { value: true });
  }
}

export function isQcbError(e: unknown): e is QcbError {
  if (e instanceof QcbError) return true;
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as Record<symbol, unknown>)[BRAND] === true &&
    typeof (e as { code?: unknown }).code === 'string'
  );
}
