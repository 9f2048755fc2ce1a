import * as tf from '@tensorflow/tfjs-core';
import {
  batchNormFoldFactor, bitsFor, fakeQuant, followingBatchNorms, isComputeNode, weightGridParams, weightParamOf, withChannelsLast,
  type GraphModel, type QuantizerProfile,
} from '@qcb/core';

/** How many kernel channels a snap moved onto the min-max grid, and on how many the profile's own observer then agrees. */
export interface SnapReport {
  readonly channels: number;
  readonly observerAgrees: number;
}

/**
 * Replaces every kernel of `model` by its fake-quantized value on the profile's grid with a
 * min-max range (BN folded first when the profile folds it).
 *
 * Why: an MSE range search re-scores its 80 candidate ranges on the current weights, and at
 * 8 bits their errors are so close that weights moving inside their bins flip its choice
 * (so the kept bins stop being the deployed grid). After the snap every weight sits on a
 * level of the min-max grid: that candidate scores zero error and wins by a margin that
 * stage 2 keeps as long as weights stay near their levels (`binShare` below 1). The snapped
 * model is the stage-1 model's own 8-bit quantization, so it keeps its backdoor. The range is
 * a fixed point: the extremes land on the lowest and highest levels, so the snapped kernel's
 * min-max grid is the grid it was snapped to.
 */
export function snapToProfileGrid(model: GraphModel, profile: QuantizerProfile): SnapReport {
  const minMax: QuantizerProfile = { ...profile, weights: { ...profile.weights, observer: 'minmax' } };
  const computeNodes = model.graph.nodes.filter(isComputeNode);
  const batchNorms = profile.foldBatchNorm ? followingBatchNorms(model) : new Map();
  let channels = 0;
  let observerAgrees = 0;
  for (const node of model.graph.nodes) {
    const kernelName = weightParamOf(node);
    if (!kernelName) continue;
    const bits = bitsFor(node, computeNodes, profile.weights.bits, profile.firstLastAt8Bits);
    const bn = batchNorms.get(node.name);
    const variable = node.params[kernelName];
    tf.tidy(() => {
      const factor = bn ? batchNormFoldFactor(bn, bn.params['movingVariance']) : null;
      const folded = factor ? withChannelsLast(node, variable, (v) => tf.mul(v, factor)) : variable;
      const snapped = withChannelsLast(node, folded, (view) => {
        const grid = weightGridParams(view, minMax, bits);
        const q = fakeQuant(view, grid);
        const observed = weightGridParams(q, profile, bits);
        const same = Array.from(grid.scale, (s, i) => Math.abs(s - observed.scale[i]) <= 1e-6 * Math.abs(s) && grid.zeroPoint[i] === observed.zeroPoint[i]);
        channels += same.length;
        observerAgrees += same.filter(Boolean).length;
        return q;
      });
      variable.assign(factor ? withChannelsLast(node, snapped, (v) => tf.div(v, factor)) : snapped);
    });
  }
  return { channels, observerAgrees };
}
