import * as tf from '@tensorflow/tfjs-core';
import {
  batchNormFoldFactor, bitsFor, channelsLastView, followingBatchNorms, gridFor, isComputeNode, mseRange, QcbError, paramsFromRange, weightGridParams, weightParamOf, withChannelsLast,
  type GraphModel, type GraphNode, type QuantParams, type QuantizerProfile,
} from '@qcb/core';

/** The grids whose rounding bins stage 2 must not leave. */
/**
 * per-channel-asym-mse: the grid an MSE range search (the academic profiles' observer) picks
 * for the stage-1 kernel, so that the bins hold for that deployment quantizer too.
 */
export type PqGrid = 'per-channel-sym' | 'per-tensor-sym' | 'per-channel-asym' | 'per-channel-asym-mse';

interface KernelBox {
  readonly node: GraphNode;
  readonly variable: tf.Variable;
  readonly lower: tf.Tensor;
  readonly upper: tf.Tensor;
  /** Entries pinned to their stage-1 value (each channel's extremes, so that scales do not move). */
  readonly pinned: tf.Tensor;
  readonly original: tf.Tensor;
  /** The profile's grid on the stage-1 kernel and the factor folding BN into it (see ProfileGuard). */
  readonly guard?: ProfileGuard;
}

/**
 * A deployment profile's grid must stay the one its observer picks on the stage-1 kernel.
 * Bins alone do not ensure it: an MSE range search scores candidate ranges on the current
 * weights, so weights moving inside their bins can make it pick another range (why the
 * min-max bins did not carry over to academic-w4a4). After each clamp the observer runs
 * again; a channel whose grid changed takes a shorter step (keepProfileGrid).
 */
interface ProfileGuard {
  readonly profile: QuantizerProfile;
  readonly bits: number;
  /** gamma / sqrt(var + eps) per output channel of the (frozen) BN folded into the kernel, or null. */
  readonly factor: tf.Tensor | null;
  readonly params: QuantParams;
  lastValid: tf.Tensor;
}

function profileParams(node: GraphNode, folded: tf.Tensor, profile: QuantizerProfile, bits: number): QuantParams {
  return withChannelsLastRange(node, folded, (view) => weightGridParams(view, profile, bits));
}

/** Per channel of the channels-last view (or one entry for a per-tensor grid): whether p and q differ. */
function changedChannels(p: QuantParams, q: QuantParams): boolean[] {
  return Array.from(p.scale, (s, i) => Math.abs(s - q.scale[i]) > 1e-7 * Math.abs(s) || p.zeroPoint[i] !== q.zeroPoint[i]);
}

/** A per-channel range computed on the kernel's channels-last view. */
function withChannelsLastRange<R>(node: GraphNode, w: tf.Tensor, f: (view: tf.Tensor) => R): R {
  let out: R | undefined;
  withChannelsLast(node, w, (view) => {
    out = f(view);
    return view;
  });
  return out!;
}

/** Kept short of the bin's edge so that float error cannot cross a rounding boundary. */
const EDGE_MARGIN = 1e-3;

/** How often the profile guard halves a channel's step before it drops the step. */
const GUARD_HALVINGS = 3;

function binBounds(w: tf.Tensor, p: QuantParams, half: number): [tf.Tensor, tf.Tensor] {
  const scale = p.axis === null ? tf.scalar(p.scale[0]) : tf.tensor1d(p.scale);
  const zp = p.axis === null ? tf.scalar(p.zeroPoint[0]) : tf.tensor1d(p.zeroPoint);
  const level = tf.sub(tf.clipByValue(tf.add(tf.round(tf.div(w, scale)), zp), p.qmin, p.qmax), zp);
  return [tf.mul(tf.sub(level, half), scale), tf.mul(tf.add(level, half), scale)];
}

/** binShare in (0, 1] and binRms >= 0 (checked by the attack before stage 1, and by the projection). */
export function checkBinLimits(binShare: number, binRms: number): void {
  if (!(binShare > 0 && binShare <= 1)) throw new QcbError('E_USAGE', `binShare must be in (0, 1], got ${binShare}`);
  if (!(binRms >= 0)) throw new QcbError('E_USAGE', `binRms must be at least 0, got ${binRms}`);
}

interface ChannelRange {
  readonly min: Float32Array;
  readonly max: Float32Array;
  readonly absMax: Float32Array;
}

/** Per output channel: min, max and max |w| of a kernel. */
function channelRange(node: GraphNode, w: tf.Tensor): ChannelRange {
  return tf.tidy(() => {
    const view = channelsLastView(node, w);
    const cols = tf.reshape(view, [-1, view.shape[view.rank - 1]]);
    return {
      min: Float32Array.from(tf.min(cols, 0).dataSync()),
      max: Float32Array.from(tf.max(cols, 0).dataSync()),
      absMax: Float32Array.from(tf.max(tf.abs(cols), 0).dataSync()),
    };
  });
}

/**
 * PQBackdoor's stage-2 projection (Ma et al. 2023): after every step, restore the
 * non-weight parameters, pin each channel's extreme entries, and clamp every weight into
 * the rounding bin its stage-1 value had on each chosen grid, so that the quantized model
 * stays the stage-1 (backdoored) model while the full-precision weights move.
 */
export class StageTwoProjection {
  private readonly boxes: KernelBox[] = [];
  private readonly restore: Array<[tf.Variable, tf.Tensor]> = [];
  /** Whether apply() also keeps the profile's observer choice (see ProfileGuard). */
  private readonly observerGuard: boolean;
  /** Root-mean-square bound on each channel's move from its stage-1 weights, in steps of the profile grid (0: none). */
  private readonly binRms: number;

  /**
   * `binShare`: the share of each rounding bin a weight may use around its level (1: the
   * whole bin, PQBackdoor's box; less keeps an MSE observer's choice, see snap.ts).
   */
  constructor(model: GraphModel, stage1: GraphModel, bits: number, grids: readonly PqGrid[], profile?: QuantizerProfile, options: { observerGuard?: boolean; binShare?: number; binRms?: number } = {}) {
    this.observerGuard = options.observerGuard ?? true;
    this.binRms = options.binRms ?? 0;
    const share = options.binShare ?? 1;
    checkBinLimits(share, this.binRms);
    const half = share / 2 - EDGE_MARGIN;
    const computeNodes = stage1.graph.nodes.filter(isComputeNode);
    const batchNorms = profile?.foldBatchNorm ? followingBatchNorms(stage1) : new Map();
    for (const node of model.graph.nodes) {
      const reference = stage1.node(node.name);
      const kernelName = weightParamOf(node);
      for (const [name, v] of Object.entries(node.params)) {
        if (name !== kernelName) this.restore.push([v, tf.keep(tf.clone(reference.params[name]))]);
      }
      if (!kernelName) continue;
      const w1 = reference.params[kernelName];
      let guard: ProfileGuard | undefined;
      const [lower, upper, pinned] = tf.tidy(() => {
        const r = channelRange(node, w1);
        const all = Math.max(...r.absMax);
        // Bounds per entry, on the kernel's channels-last view; the box is their intersection.
        const bounds: Array<[tf.Tensor, tf.Tensor]> = [];
        const channelBins = (p: QuantParams): void => void bounds.push([0, 1].map((i) => withChannelsLast(node, w1, (v) => binBounds(v, p, half)[i])) as [tf.Tensor, tf.Tensor]);
        for (const g of grids) {
          if (g === 'per-channel-sym') channelBins(paramsFromRange(r.absMax.map((a) => -a), r.absMax, gridFor(bits, true), true, -1));
          else if (g === 'per-tensor-sym') bounds.push(binBounds(w1, paramsFromRange([-all], [all], gridFor(bits, true), true, null), half));
          else if (g === 'per-channel-asym') channelBins(paramsFromRange(r.min, r.max, gridFor(bits, false), false, -1));
          else {
            const grid = gridFor(bits, false);
            const mse = withChannelsLastRange(node, w1, (view) => mseRange(view, true, grid, false));
            channelBins(paramsFromRange(mse.min, mse.max, grid, false, -1));
          }
        }
        if (profile) {
          const bn = batchNorms.get(node.name);
          const factor = bn
            ? tf.keep(batchNormFoldFactor(bn, bn.params['movingVariance']))
            : null;
          const profileBits = bitsFor(stage1.node(node.name), computeNodes, profile.weights.bits, profile.firstLastAt8Bits);
          const folded = factor ? withChannelsLast(node, w1, (v) => tf.mul(v, factor)) : w1;
          const params = profileParams(node, folded, profile, profileBits);
          // Bins on the folded kernel, unfolded (a negative factor swaps the bounds).
          const [flo, fhi] = [0, 1].map((i) => withChannelsLast(node, folded, (v) => binBounds(v, params, half)[i]));
          const [ulo, uhi] = factor ? [flo, fhi].map((b) => withChannelsLast(node, b, (v) => tf.div(v, factor))) : [flo, fhi];
          bounds.push([tf.minimum(ulo, uhi), tf.maximum(ulo, uhi)]);
          guard = { profile, bits: profileBits, factor, params, lastValid: tf.keep(tf.clone(w1)) };
        }
        // No entry may pass its channel's stage-1 extremes, which stay pinned: every
        // min-max range, and so every scale, stays put.
        bounds.push([0, 1].map((i) => withChannelsLast(node, w1, (v) => tf.mul(tf.onesLike(v), tf.tensor1d(i === 0 ? r.min : r.max)))) as [tf.Tensor, tf.Tensor]);
        const lo = bounds.map((b) => b[0]).reduce((a, b) => tf.maximum(a, b));
        const hi = bounds.map((b) => b[1]).reduce((a, b) => tf.minimum(a, b));
        const pin = withChannelsLast(node, w1, (v) => tf.logicalOr(tf.equal(v, tf.tensor1d(r.min)), tf.equal(v, tf.tensor1d(r.max))));
        return [lo, hi, pin];
      });
      this.boxes.push({ node, variable: node.params[kernelName], lower, upper, pinned, original: tf.keep(tf.clone(w1)), guard });
    }
  }

  apply(): void {
    tf.tidy(() => {
      for (const [v, original] of this.restore) v.assign(original);
      for (const b of this.boxes) {
        const clamped = this.clampToBox(b, b.variable);
        b.variable.assign(this.binRms > 0 && b.guard ? this.keepObserverMargin(b, b.guard, clamped) : clamped);
      }
    });
    if (this.observerGuard) for (const b of this.boxes) if (b.guard) this.keepProfileGrid(b, b.guard);
  }

  private clampToBox(b: KernelBox, w: tf.Tensor): tf.Tensor {
    return tf.where(b.pinned, b.original, tf.minimum(tf.maximum(w, b.lower), b.upper));
  }

  /**
   * Keeps an MSE observer's choice without the guard's step cuts, for kernels snapped onto
   * the grid (snap.ts): a grid scores the squared distance of the weights from its levels,
   * so the snapped grid stays the best while (a) each channel's move from its levels has a
   * root-mean-square below `binRms` steps (an unrelated grid scores about step^2 / 12 per
   * weight, i.e. 0.29 steps rms) and (b) the move does not shrink the channel along its own
   * weights (sum of w1 * d >= 0), the direction in which the next smaller candidate range
   * gains. Alternates the half-space and the box, then scales the move into the ball (which
   * keeps both).
   */
  private keepObserverMargin(b: KernelBox, g: ProfileGuard, clamped: tf.Tensor): tf.Tensor {
    const w1 = b.original;
    const perChannel = g.params.axis !== null;
    const sum = (t: tf.Tensor): tf.Tensor => (perChannel ? tf.sum(t, [...Array(t.rank - 1).keys()]) : tf.sum(t));
    const step = tf.div(perChannel ? tf.tensor1d(g.params.scale) : tf.scalar(g.params.scale[0]), g.factor ? tf.abs(g.factor) : 1);
    const w1View = channelsLastView(b.node, w1);
    const onView = (w: tf.Tensor, f: (view: tf.Tensor, w1View: tf.Tensor) => tf.Tensor): tf.Tensor =>
      withChannelsLast(b.node, w, (view) => f(view, w1View));
    let w = clamped;
    for (let i = 0; i < 3; i++) {
      w = onView(w, (view, w1View) => {
        const d = tf.sub(view, w1View);
        const shrink = tf.minimum(tf.div(sum(tf.mul(w1View, d)), tf.maximum(sum(tf.square(w1View)), 1e-30)), 0);
        return tf.sub(view, tf.mul(shrink, w1View));
      });
      w = this.clampToBox(b, w);
    }
    return onView(w, (view, w1View) => {
      const d = tf.sub(view, w1View);
      const count = d.size / (perChannel ? d.shape[d.rank - 1] : 1);
      const rms = tf.sqrt(tf.div(sum(tf.square(d)), count));
      const factor = tf.minimum(tf.div(tf.mul(step, this.binRms), tf.maximum(rms, 1e-30)), 1);
      return tf.add(w1View, tf.mul(d, factor));
    });
  }

  /**
   * Channels whose profile grid changed take a shorter step from their last weights that
   * kept it (halved up to GUARD_HALVINGS times, then none), so that they still learn. The
   * observer treats channels independently, so each channel is checked on its own.
   */
  private keepProfileGrid(b: KernelBox, g: ProfileGuard): void {
    const t = new Float32Array(g.params.scale.length).fill(1);
    let candidate: tf.Tensor = tf.clone(b.variable as tf.Tensor);
    for (let attempt = 0; ; attempt++) {
      const changed = this.changedChannels(b, g, candidate);
      if (!changed.some(Boolean)) break;
      changed.forEach((c, i) => {
        if (c) t[i] = attempt < GUARD_HALVINGS ? t[i] / 2 : 0;
      });
      this.shortened += changed.filter(Boolean).length;
      const next = tf.tidy(() => {
        const step = tf.sub(b.variable, g.lastValid);
        const scaled = g.params.axis === null ? tf.mul(step, t[0]) : withChannelsLast(b.node, step, (v) => tf.mul(v, tf.tensor1d(t)));
        return tf.add(g.lastValid, scaled);
      });
      candidate.dispose();
      candidate = next;
      if (attempt >= GUARD_HALVINGS) break;
    }
    b.variable.assign(candidate);
    g.lastValid.dispose();
    g.lastValid = candidate;
  }

  private changedChannels(b: KernelBox, g: ProfileGuard, w: tf.Tensor): boolean[] {
    const { factor } = g;
    const folded = factor ? tf.tidy(() => withChannelsLast(b.node, w, (v) => tf.mul(v, factor))) : w;
    const current = profileParams(b.node, folded, g.profile, g.bits);
    if (factor) folded.dispose();
    return changedChannels(g.params, current);
  }

  /** Channel steps the profile guard shortened so far (a measure of how tight the grid is). */
  shortened = 0;

  dispose(): void {
    tf.dispose(this.restore.map(([, t]) => t));
    for (const b of this.boxes) {
      tf.dispose([b.lower, b.upper, b.pinned, b.original]);
      if (b.guard) tf.dispose([b.guard.lastValid, ...(b.guard.factor ? [b.guard.factor] : [])]);
    }
  }
}
