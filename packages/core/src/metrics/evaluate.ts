import type { ImageSet } from '../data/image-set.js';
import { QcbError } from '../errors.js';
import { accuracy } from './accuracy.js';
import { attackSuccessRate } from './asr.js';
import { predictClasses, type Forward, type PredictOptions } from './predict.js';

export interface ClassifierEvaluation {
  /** Benign accuracy on the clean set, in percent. */
  readonly ba: number;
  /** Attack success rate on the triggered set, in percent; null without one. */
  readonly asr: number | null;
  /** Images in the clean set. */
  readonly n: number;
}

/**
 * BA on `clean` and, given a triggered set and its target, ASR on `poisoned` (true labels,
 * as poisonedView makes it). `onBatch` counts the images of both passes together.
 */
export function evaluateClassifier(
  forward: Forward,
  clean: ImageSet,
  poisoned: ImageSet | null,
  target: number | null,
  options: PredictOptions = {},
): ClassifierEvaluation {
  if (poisoned !== null && target === null) throw new QcbError('E_USAGE', 'a triggered set needs a target class to compute ASR');
  const total = clean.count + (poisoned !== null && target !== null ? poisoned.count : 0);
  const { onBatch } = options;
  const progress = (offset: number): PredictOptions['onBatch'] =>
    onBatch === undefined ? undefined : (done) => onBatch(offset + done, total);

  const cleanPredictions = predictClasses(forward, clean, { ...options, onBatch: progress(0) });
  const ba = accuracy(cleanPredictions, clean.labels);
  if (poisoned === null || target === null) return { ba, asr: null, n: clean.count };
  const poisonedPredictions = predictClasses(forward, poisoned, { ...options, onBatch: progress(clean.count) });
  return { ba, asr: attackSuccessRate(poisonedPredictions, poisoned.labels, target), n: clean.count };
}
