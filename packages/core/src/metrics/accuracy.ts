import { QcbError } from '../errors.js';
import { checkLengths } from './check-lengths.js';

/** Share of predictions equal to the labels, in percent. On the clean test set this is BA. */
export function accuracy(predictions: Int32Array, labels: Int32Array): number {
  checkLengths(predictions, labels);
  if (labels.length === 0) throw new QcbError('E_DATA', 'accuracy of an empty set is undefined');
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) correct++;
  return (100 * correct) / labels.length;
}

/** BA: accuracy on the clean test set, in percent. */
export const benignAccuracy = accuracy;
