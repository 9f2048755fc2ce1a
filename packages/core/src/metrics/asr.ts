import { QcbError } from '../errors.js';
import { checkLengths } from './check-lengths.js';

/**
 * ASR: share of triggered images classified as `target`, in percent, counting only images
 * whose true label is not the target (those would count as successes without any backdoor).
 * The skip happens here, so an unfiltered triggered set gives the same answer.
 */
export function attackSuccessRate(predictions: Int32Array, trueLabels: Int32Array, target: number): number {
  checkLengths(predictions, trueLabels);
  let counted = 0;
  let hits = 0;
  for (let i = 0; i < trueLabels.length; i++) {
    if (trueLabels[i] === target) continue;
    counted++;
    if (predictions[i] === target) hits++;
  }
  if (counted === 0) throw new QcbError('E_DATA', `no triggered images outside the target class ${target}; ASR is undefined`);
  return (100 * hits) / counted;
}
