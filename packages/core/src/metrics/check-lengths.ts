import { QcbError } from '../errors.js';

/** Throws unless predictions and labels pair up one to one. */
export function checkLengths(predictions: Int32Array, labels: Int32Array): void {
  if (predictions.length !== labels.length) {
    throw new QcbError('E_USAGE', `${predictions.length} predictions for ${labels.length} labels`);
  }
}
