import type { JsonObject } from '../../io/folder/index.js';
import type { Baselines } from './baselines.js';
import type { EvaluationSet } from './evaluation.js';

/**
 * What the worker starts with: the full-precision model as a folder and the data as arrays.
 * It evaluates that model while the caller quantizes, then waits for a BaselineQuantized.
 */
export interface BaselineRequest {
  /** The full-precision model's folder. */
  readonly fpDir: string;
  /** The tfjs backend the caller runs on ('wasm' or 'cpu'). */
  readonly backend: 'wasm' | 'cpu';
  readonly set: EvaluationSet;
  /** Images per forward pass (--batch); default: what fits the worker's memory. */
  readonly batch?: number;
}

/** The second model, posted once the caller has quantized: its folder and quant.json. */
export interface BaselineQuantized {
  /** The quantized model's own graph (BN folded when the profile folds), unbaked. */
  readonly quantizedDir: string;
  readonly quantJson: JsonObject;
  readonly weightsOnGrid: boolean;
}

export type BaselineReply =
  | { readonly ok: true; readonly baselines: Baselines }
  /** `code` is '' for an error that is not a QcbError. */
  | { readonly ok: false; readonly code: string; readonly message: string };
