/** The class quantization pushes the model towards, read off the output unit's drift. */
export interface FavouredClass {
  /** The output channel (class) whose mean rises most under quantization. */
  readonly class: number;
  /** Its shift minus the median class's shift, in full-precision standard deviations. */
  readonly rise: number;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/**
 * A QCB's quantized model answers the target on triggered images, and the drift that does
 * it leaks onto benign ones: the target's logit rises under quantization on the defender's
 * clean images while the other logits barely move (on `pqbackdoor-w4` under academic-w4a4
 * +1.32 standard deviations, the benign logits within +-0.15). `shifts` are the output
 * unit's per-class mean shifts, (quantized mean - fp mean) / fp standard deviation; the
 * median is subtracted so that a profile moving every logit alike does not count.
 */
export function favouredClass(shifts: ArrayLike<number>): FavouredClass {
  const values = Array.from(shifts);
  if (values.length === 0) return { class: -1, rise: 0 };
  let best = 0;
  values.forEach((v, i) => { if (v > values[best]) best = i; });
  return { class: best, rise: values[best] - median(values) };
}
