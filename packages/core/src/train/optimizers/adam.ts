import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer, OptimizerSpec, SlotState } from './optimizer.js';
import { Slots } from './slots.js';

/** Adam (Kingma & Ba) with bias correction and PyTorch-style coupled weight decay. */
export class Adam implements Optimizer {
  private readonly m: Slots;
  private readonly v: Slots;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;
  private t = 0;

  constructor(readonly variables: readonly tf.Variable[], readonly spec: OptimizerSpec = { type: 'adam' }, keys?: readonly string[]) {
    this.beta1 = spec.beta1 ?? 0.9;
    this.beta2 = spec.beta2 ?? 0.999;
    this.epsilon = spec.epsilon ?? 1e-8;
    this.weightDecay = spec.weightDecay ?? 0;
    this.m = new Slots('adam/m', variables, keys);
    this.v = new Slots('adam/v', variables, keys);
  }

  step(grads: readonly tf.Tensor[], lr: number): void {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    this.variables.forEach((w, i) => {
      let g = grads[i];
      if (this.weightDecay > 0) g = tf.add(g, tf.mul(w, this.weightDecay));
      const m = this.m.values[i];
      const v = this.v.values[i];
      m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
      v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
      const denom = tf.add(tf.sqrt(tf.div(v, c2)), this.epsilon);
      w.assign(tf.sub(w, tf.mul(tf.div(m, denom), lr / c1)));
    });
  }

  async state(): Promise<SlotState[]> {
    const t = { name: 'adam/t', shape: [1], values: new Float32Array([this.t]) };
    return [t, ...(await this.m.state()), ...(await this.v.state())];
  }

  loadState(state: readonly SlotState[]): void {
    this.t = state.find((s) => s.name === 'adam/t')?.values[0] ?? 0;
    this.m.load(state);
    this.v.load(state);
  }

  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}
