import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '../../ir/graph-model.js';
import type { BatchNormAttrs } from '../../ir/ops/index.js';
import { inflationFactors, inputChannelShape, type ChannelInflation } from './inflate-channels.js';

interface LockedEntries {
  readonly variable: tf.Variable;
  /** 0 on the locked entries, 1 elsewhere (broadcasts over the variable). */
  readonly free: tf.Tensor;
  /** The locked entries' values, 0 elsewhere. */
  readonly fixed: tf.Tensor;
}

/**
 * Keeps the inflated entries (the channel's BN gamma and beta, the next layer's weights
 * for it) at their inflated values while an attack trains: gradient steps and weight
 * decay would otherwise move them, and the relative steps differ by scale^2 from the
 * uninflated parametrisation (gamma's gradient is scale times larger on a scale times
 * smaller value, the weights' the reverse), so training would drift the inflation away.
 */
export class InflationLock {
  private readonly entries: LockedEntries[] = [];

  constructor(model: GraphModel, plan: readonly ChannelInflation[]) {
    for (const [chain, f] of inflationFactors(model, plan)) {
      const bn = model.node(chain.batchNorm);
      const kernel = model.node(chain.next).params['kernel'];
      const names = (bn.attrs as BatchNormAttrs).center ? ['gamma', 'beta'] : ['gamma'];
      const locked = Float32Array.from(f, (v) => (v === 1 ? 0 : 1));
      this.entries.push(
        ...names.map((name) => this.lock(bn.params[name], [locked.length], locked)),
        this.lock(kernel, inputChannelShape(kernel), locked),
      );
    }
  }

  private lock(variable: tf.Variable, shape: number[], locked: Float32Array): LockedEntries {
    return tf.tidy(() => {
      const mask = tf.reshape(tf.tensor1d(locked), shape);
      return { variable, free: tf.keep(tf.sub(1, mask)), fixed: tf.keep(tf.mul(variable, mask)) };
    });
  }

  /** Puts the locked entries back (after every training step). */
  restore(): void {
    tf.tidy(() => {
      for (const e of this.entries) e.variable.assign(tf.add(tf.mul(e.variable, e.free), e.fixed));
    });
  }

  dispose(): void {
    for (const e of this.entries) tf.dispose([e.free, e.fixed]);
  }
}
