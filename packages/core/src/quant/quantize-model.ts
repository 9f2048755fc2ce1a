import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '../ir/graph-model.js';
import type { GraphNode } from '../ir/graph.js';
import { isComputeNode } from '../ir/units.js';
import type { QuantParams } from '../kernel/hook-types.js';
import type { EngineHooks } from '../kernel/hooks.js';
import { paramsFromRange } from './affine-params.js';
import { fakeQuant } from './fake-quant.js';
import { foldBatchNorm } from './fold-batch-norm.js';
import { gridFor } from './grid.js';
import { ACTIVATION_MSE_SAMPLES, EmaRange, observeRange, observeRangeOfParts } from './observers/index.js';
import { calibrationPass } from './calibration-pass.js';
import { withAllocationGuard } from '../runtime/memory/allocation-failure.js';
import { planBatch } from '../runtime/memory/batch-plan.js';
import type { QuantizerProfile } from './profile.js';
import { QuantizedModel } from './quantized-model.js';
import { readChannelsLast, weightParamOf } from './weight-view.js';

export interface QuantizeOptions {
  /** The engine's quantizer hooks: observeRanges may adjust every grid. */
  readonly hooks?: EngineHooks['quantizer'];
  /**
   * Samples per forward pass of calibration (--batch); default: as many of a calibration
   * batch as fit the backend's memory. A larger batch is observed in micro-batches, with the
   * grids of a single pass (calibration-pass.ts).
   */
  readonly batch?: number;
}

/** Bits of a compute node: the first and last stay at 8 when the profile says so. */
export function bitsFor(node: GraphNode, computeNodes: readonly GraphNode[], base: number, firstLastAt8: boolean): number {
  const edge = node === computeNodes[0] || node === computeNodes[computeNodes.length - 1];
  return firstLastAt8 && edge ? 8 : base;
}

/** A kernel's grid under a profile, from its channels-last view (per channel on the last axis, or per tensor). */
export function weightGridParams(view: tf.Tensor, profile: QuantizerProfile, bits: number): QuantParams {
  const s = profile.weights;
  const grid = gridFor(bits, s.symmetric, { narrowRange: s.narrowRange });
  const perChannel = s.granularity === 'per-channel';
  const range = observeRange(s.observer, view, perChannel, grid, s.symmetric);
  // axis -1: the last axis of the channels-last view (see weight-view.ts).
  return paramsFromRange(range.min, range.max, grid, s.symmetric, perChannel ? -1 : null);
}

function weightParams(node: GraphNode, profile: QuantizerProfile, bits: number): QuantParams {
  return readChannelsLast(node, node.params[weightParamOf(node)!], (view) => weightGridParams(view, profile, bits));
}

/**
 * Quantizes a model for a profile: weight grids from each kernel (per channel or per
 * tensor, min-max or MSE search), then activation grids at every conv/dense input from
 * calibration batches run through the quantized model itself (each quantizer observes the
 * already-quantized path upstream), smoothed by the profile's EMA. `calibration` holds
 * normalised input batches.
 */
export async function quantizeModel(
  model: GraphModel,
  profile: QuantizerProfile,
  calibration: readonly tf.Tensor4D[],
  options: QuantizeOptions = {},
): Promise<QuantizedModel> {
  const target = profile.foldBatchNorm ? foldBatchNorm(model) : model;
  const hooks = options.hooks;
  await hooks?.beforeQuantize.promise({ model: target, quantizer: profile.name });
  const computeNodes = target.graph.nodes.filter(isComputeNode);

  const weights = new Map<string, QuantParams>();
  for (const node of computeNodes) {
    const bits = bitsFor(node, computeNodes, profile.weights.bits, profile.firstLastAt8Bits);
    const p = weightParams(node, profile, bits);
    weights.set(node.name, hooks ? hooks.observeRanges.call(p, { node, kind: 'weight', param: weightParamOf(node) }) : p);
  }

  const activations = new Map<string, QuantParams>();
  const a = profile.activations;
  if (a) {
    const emas = new Map(computeNodes.map((n) => [n.name, new EmaRange(a.smoothing)]));
    const paramsOf = (node: GraphNode, final: boolean): QuantParams => {
      const bits = bitsFor(node, computeNodes, a.bits, profile.firstLastAt8Bits);
      const range = emas.get(node.name)!.range!;
      const grid = gridFor(bits, a.symmetric, { reduceRange: a.reduceRange });
      const p = paramsFromRange(range.min, range.max, grid, a.symmetric, null);
      return hooks && final ? hooks.observeRanges.call(p, { node, kind: 'activation' }) : p;
    };
    const partial = new QuantizedModel({ model: target, profile: profile.name, foldedBatchNorm: profile.foldBatchNorm, weights, activations: new Map(), weightsOnGrid: false });
    const weightTransform = partial.transform({ activations: false });
    const observed = new Set(emas.keys());
    const wanted = Math.max(1, ...calibration.map((b) => b.shape[0]));
    const plan = planBatch(target, {
      stage: 'calibrating', wanted, quantizedInputs: observed, quantizedWeights: true, ...(options.batch !== undefined ? { requested: options.batch } : {}),
    });
    for (const batch of calibration) {
      withAllocationGuard(plan, () => calibrationPass(target, batch, {
        observed,
        param: weightTransform.param,
        micro: plan.batch,
        observe: (node, pieces) => {
          const bits = bitsFor(node, computeNodes, a.bits, profile.firstLastAt8Bits);
          const grid = gridFor(bits, a.symmetric, { reduceRange: a.reduceRange });
          emas.get(node.name)!.update(observeRangeOfParts(a.observer, pieces, false, grid, a.symmetric, ACTIVATION_MSE_SAMPLES));
          return paramsOf(node, false);
        },
      }));
      await new Promise((r) => setImmediate(r));
    }
    for (const node of computeNodes) if (emas.get(node.name)!.range) activations.set(node.name, paramsOf(node, true));
  }

  const quantized = new QuantizedModel({ model: target, profile: profile.name, foldedBatchNorm: profile.foldBatchNorm, weights, activations, weightsOnGrid: false });
  await hooks?.afterQuantize.promise({ model: target, quantizer: profile.name });
  return quantized;
}
