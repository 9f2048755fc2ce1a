import type * as tf from '@tensorflow/tfjs-core';
import { Adam } from './adam.js';
import type { Optimizer, OptimizerSpec } from './optimizer.js';
import { Sgd } from './sgd.js';

export type { Optimizer, OptimizerSpec, SlotState } from './optimizer.js';
export { Adam } from './adam.js';
export { Sgd } from './sgd.js';

/** `keys` name the variables stably (e.g. `node/param`) so that saved state reloads onto a reloaded model. */
export function createOptimizer(spec: OptimizerSpec, variables: readonly tf.Variable[], keys?: readonly string[]): Optimizer {
  return spec.type === 'adam' ? new Adam(variables, spec, keys) : new Sgd(variables, spec, keys);
}
