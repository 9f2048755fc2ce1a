import {
  defenderBatches, quantizeModel, resolveQuantizer, type Dataset, type Engine, type GraphModel, type Normalization, type QuantizedModel,
} from '@qcb/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Quantizes a model with a named profile (or generic spec), calibrating on the defender's
 * data (`defenderBatches`' default 5% of the training set unless `share` says otherwise,
 * at most 1,024 images, fixed order): the same calibration for `qcb quantize`, `qcb
 * evaluate --quantizer` and the defenses, so their results agree. `batch` (--batch): samples
 * per calibration pass, default what fits memory (the grids do not depend on it).
 */
export async function quantizeWithProfile(
  engine: Engine, model: GraphModel, quantizer: string, data: Dataset, normalization: Normalization, share?: number, batch?: number,
): Promise<QuantizedModel> {
  const profile = resolveQuantizer(engine, quantizer);
  const batches = defenderBatches(data.train, normalization, { share });
  try {
    return await quantizeModel(model, profile, batches, { hooks: engine.hooks.quantizer, ...(batch !== undefined ? { batch } : {}) });
  } finally {
    tf.dispose(batches);
  }
}
