import type { EvaluationResult } from '../commands/evaluate.js';
import type { Parsed } from '../options.js';

/** The two models a defense is measured against: full precision and quantized without defense. */
export interface Baselines {
  readonly fp: EvaluationResult;
  readonly quantized: EvaluationResult;
}

/** What the worker needs to load the same subject as the command: its arguments. */
export interface BaselineRequest {
  readonly args: Parsed;
  readonly cwd: string;
  /** The defender's share the quantized model is calibrated on. */
  readonly share: number;
}

export type BaselineReply =
  | { readonly ok: true; readonly baselines: Baselines }
  /** `code` is '' for an error that is not a QcbError. */
  | { readonly ok: false; readonly code: string; readonly message: string };
