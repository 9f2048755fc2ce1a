import * as tf from '@tensorflow/tfjs-core';
import type { NodeTransform } from '../ir/executor.js';
import type { GraphModel } from '../ir/graph-model.js';
import type { GraphNode } from '../ir/graph.js';
import type { BatchStats } from '../ir/op-def.js';
import type { BatchNormAttrs } from '../ir/ops/index.js';
import { isComputeNode } from '../ir/units.js';
import type { Engine } from '../kernel/engine.js';
import type { QuantParams } from '../kernel/hook-types.js';
import { paramsFromRange } from '../quant/affine-params.js';
import { fakeQuant } from '../quant/fake-quant.js';
import { resolveQuantizer } from '../quant/quantizer-plugin.js';
import { gridFor } from '../quant/grid.js';
import { ACTIVATION_MSE_SAMPLES, observeRange } from '../quant/observers/index.js';
import type { QuantizerProfile } from '../quant/profile.js';
import { bitsFor, weightGridParams } from '../quant/quantize-model.js';
import { weightParamOf, withChannelsLast } from '../quant/weight-view.js';
import { outsideTape } from '../util/outside-tape.js';
import { isMeasuringPass } from '../runtime/memory/measure-pass.js';
import { batchNormFoldFactor, followingBatchNorms } from './training-quantizers.js';

/**
 * A deployment profile (e.g. academic-w4a4) simulated during training, so that an attack
 * can condition its backdoor on the quantizer the victim will actually use: each kernel is
 * BN-folded (with the batch statistics given, else the running ones) and fake-quantized
 * with the grid the profile's observer picks on its current values, then unfolded so the
 * BN after it sees exactly the folded quantized conv; each conv/dense input is
 * fake-quantized with the range the profile's observer picks on the batch. Rounding has a
 * straight-through gradient. The observers (an 80-candidate MSE search for the academic
 * profiles) are costly, so ranges are observed on every `refreshEvery`-th pass and reused
 * in between, while the weights move little.
 */
export class ProfileFakeQuant {
  private readonly computeNodes: GraphNode[];
  private readonly batchNorms: Map<string, GraphNode<BatchNormAttrs>>;
  private readonly weightParams = new Map<string, QuantParams>();
  private readonly activationParams = new Map<string, QuantParams>();
  private passes = 0;

  constructor(
    model: GraphModel,
    readonly profile: QuantizerProfile,
    private readonly refreshEvery = 20,
  ) {
    this.computeNodes = model.graph.nodes.filter(isComputeNode);
    this.batchNorms = profile.foldBatchNorm ? followingBatchNorms(model) : new Map();
  }

  /**
   * The transform for one forward pass (observes fresh ranges on every refreshEvery-th pass).
   * A pass being measured (isMeasuringPass) observes fresh ranges, to count their cost, and
   * keeps neither them nor its place in the count.
   */
  transform(stats?: ReadonlyMap<string, BatchStats>): NodeTransform {
    const measuring = isMeasuringPass();
    const refresh = measuring || this.passes++ % this.refreshEvery === 0;
    const { profile } = this;
    const a = profile.activations;
    return {
      param: (node, name, value) => {
        if (name !== weightParamOf(node)) return value;
        const factor = this.foldFactor(node, stats);
        return withChannelsLast(node, value, (w) => {
          const folded = factor ? tf.mul(w, factor) : w;
          let p = this.weightParams.get(node.name);
          if (!p || refresh) {
            p = outsideTape(() => weightGridParams(folded, profile, this.bits(node, profile.weights.bits)));
            if (!measuring) this.weightParams.set(node.name, p);
          }
          const q = fakeQuant(folded, p);
          return factor ? tf.div(q, factor) : q;
        });
      },
      inputs: a
        ? (node, ins) => {
            if (!isComputeNode(node)) return ins;
            let p = this.activationParams.get(node.name);
            if (!p || refresh) {
              const grid = gridFor(this.bits(node, a.bits), a.symmetric, { reduceRange: a.reduceRange });
              const r = outsideTape(() => observeRange(a.observer, ins[0], false, grid, a.symmetric, ACTIVATION_MSE_SAMPLES));
              p = paramsFromRange(r.min, r.max, grid, a.symmetric, null);
              if (!measuring) this.activationParams.set(node.name, p);
            }
            return [fakeQuant(ins[0], p), ...ins.slice(1)];
          }
        : undefined,
    };
  }

  private bits(node: GraphNode, base: number): number {
    return bitsFor(node, this.computeNodes, base, this.profile.firstLastAt8Bits);
  }

  /** gamma / sqrt(var + eps) of the BN the profile folds into this node, or null. */
  private foldFactor(node: GraphNode, stats?: ReadonlyMap<string, BatchStats>): tf.Tensor | null {
    const bn = this.batchNorms.get(node.name);
    if (!bn) return null;
    return batchNormFoldFactor(bn, stats?.get(bn.name)?.variance ?? bn.params['movingVariance']);
  }
}

/** The profiles of a '+'-joined list of profile names or specs ('' gives none). */
export function resolveQuantizerList(engine: Engine, list: string): QuantizerProfile[] {
  return list === '' ? [] : list.split('+').map((name) => resolveQuantizer(engine, name));
}

/** One ProfileFakeQuant per profile of a '+'-joined list of profile names or specs ('' gives none). */
export function profileFakeQuants(model: GraphModel, engine: Engine, list: string): ProfileFakeQuant[] {
  return resolveQuantizerList(engine, list).map((profile) => new ProfileFakeQuant(model, profile));
}
