import type { JsonObject } from '../../io/folder/index.js';
import type { Baselines } from './baselines.js';
import type { EvaluationSet } from './evaluation.js';

/** What the worker needs: both models as folders, the quantization as quant.json, the data as arrays. */
export interface BaselineRequest {
  /** The full-precision model's folder. */
  readonly fpDir: string;
  /** The quantized model's own graph (BN folded when the profile folds), unbaked. */
  readonly quantizedDir: string;
  readonly quantJson: JsonObject;
  readonly weightsOnGrid: boolean;
  /** The tfjs backend the caller runs on ('wasm' or 'cpu'). */
  readonly backend: 'wasm' | 'cpu';
  readonly set: EvaluationSet;
  /** Images per forward pass (--batch); default: what fits the worker's memory. */
  readonly batch?: number;
}

export type BaselineReply =
  | { readonly ok: true; readonly baselines: Baselines }
  /** `code` is '' for an error that is not a QcbError. */
  | { readonly ok: false; readonly code: string; readonly message: string };
