/**
 * A deployment target's quantization scheme, as data (MQBench's ParamsTable idea): what a
 * quantizer profile plugin mostly consists of.
 */
export type Observer = 'minmax' | 'mse';

export interface WeightScheme {
  readonly bits: number;
  readonly granularity: 'per-channel' | 'per-tensor';
  readonly symmetric: boolean;
  /** Symmetric grids without the most negative level ([-127, 127] for 8 bits), as TFLite uses. */
  readonly narrowRange?: boolean;
  readonly observer: Observer;
}

export interface ActivationScheme {
  readonly bits: number;
  readonly symmetric: boolean;
  readonly observer: Observer;
  /**
   * How batch ranges combine over calibration: an EMA (LAC uses 0.9), or the extremes seen
   * (min of mins, max of maxes: TFLite's and PyTorch's MinMax observers over a dataset).
   */
  readonly smoothing: { readonly kind: 'ema'; readonly factor: number } | { readonly kind: 'extreme' };
  /** One bit less of range (PyTorch fbgemm's reduce_range for activations). */
  readonly reduceRange?: boolean;
}

export interface QuantizerProfile {
  readonly name: string;
  /** What it imitates, one line. */
  readonly description: string;
  readonly weights: WeightScheme;
  /** Quantization at the input of every conv/dense; null for weight-only schemes. */
  readonly activations: ActivationScheme | null;
  /** The first conv and last dense (and their input quantizers) stay at 8 bits. */
  readonly firstLastAt8Bits: boolean;
  /** Fold each BN into the conv before it before quantizing. */
  readonly foldBatchNorm: boolean;
}
