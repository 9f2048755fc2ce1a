import * as tf from '@tensorflow/tfjs-core';
import { assignValues, floatValues } from '../../util/float-values.js';
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

  stepFlat(gradient: Float32Array, lr: number): void {
    this.t++;
    const { beta1: b1, beta2: b2, epsilon, weightDecay: wd } = this;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    const rate = lr / c1;
    const size = Math.max(0, ...this.variables.map((v) => v.size));
    const [nextW, nextM, nextV] = [0, 1, 2].map(() => new Float32Array(size));
    let at = 0;
    this.variables.forEach((w, i) => {
      const n = w.size;
      // Heap views: read before the assignments below allocate.
      const ws = floatValues(w);
      const ms = floatValues(this.m.values[i]);
      const vs = floatValues(this.v.values[i]);
      for (let j = 0; j < n; j++) {
        const g = gradient[at + j] + wd * ws[j];
        const m = b1 * ms[j] + (1 - b1) * g;
        const v = b2 * vs[j] + (1 - b2) * g * g;
        nextM[j] = m;
        nextV[j] = v;
        nextW[j] = ws[j] - (m / (Math.sqrt(v / c2) + epsilon)) * rate;
      }
      assignValues(w, nextW.subarray(0, n));
      assignValues(this.m.values[i], nextM.subarray(0, n));
      assignValues(this.v.values[i], nextV.subarray(0, n));
      at += n;
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
