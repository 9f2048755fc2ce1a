import type { QcbSidecar } from '../io/folder/index.js';
import type { Dataset } from './image-set.js';

/** The qcb.json of a model trained on a dataset: its name, input shape, classes, normalisation, labels. */
export function datasetSidecar(name: string, data: Dataset): QcbSidecar {
  return {
    version: 1,
    dataset: name,
    inputShape: [...data.train.shape],
    classes: data.classes,
    normalization: { mean: [...data.normalization.mean], std: [...data.normalization.std] },
    ...(data.labelNames ? { labels: [...data.labelNames] } : {}),
  };
}
