import * as tf from '@tensorflow/tfjs-core';
import { assignValues, floatValues } from '../../util/float-values.js';
import type { Optimizer, OptimizerSpec, SlotState } from './optimizer.js';
import { Slots } from './slots.js';

/** SGD with momentum as PyTorch defines it: v = m v + (g + wd w); w -= lr v (or lr (g + m v) with Nesterov). */
export class Sgd implements Optimizer {
  private readonly velocity: Slots;
  private readonly momentum: number;
  private readonly nesterov: boolean;
  private readonly weightDecay: number;

  constructor(readonly variables: readonly tf.Variable[], readonly spec: OptimizerSpec = { type: 'sgd' }, keys?: readonly string[]) {
    this.momentum = spec.momentum ?? 0;
    this.nesterov = spec.nesterov ?? false;
    this.weightDecay = spec.weightDecay ?? 0;
    this.velocity = new Slots('sgd/velocity', this.momentum > 0 ? variables : [], this.momentum > 0 ? keys : []);
  }

  step(grads: readonly tf.Tensor[], lr: number): void {
    this.variables.forEach((w, i) => {
      let g = grads[i];
      if (this.weightDecay > 0) g = tf.add(g, tf.mul(w, this.weightDecay));
      let update = g;
      if (this.momentum > 0) {
        const v = this.velocity.values[i];
        const next = tf.add(tf.mul(v, this.momentum), g);
        v.assign(next);
        update = this.nesterov ? tf.add(g, tf.mul(next, this.momentum)) : next;
      }
      w.assign(tf.sub(w, tf.mul(update, lr)));
    });
  }

  stepFlat(gradient: Float32Array, lr: number): void {
    const { momentum: m, nesterov, weightDecay: wd } = this;
    const size = Math.max(0, ...this.variables.map((v) => v.size));
    const nextW = new Float32Array(size);
    const nextV = new Float32Array(m > 0 ? size : 0);
    let at = 0;
    this.variables.forEach((w, i) => {
      const n = w.size;
      // Heap views: read before the assignments below allocate.
      const ws = floatValues(w);
      const vs = m > 0 ? floatValues(this.velocity.values[i]) : null;
      for (let j = 0; j < n; j++) {
        let g = gradient[at + j] + wd * ws[j];
        if (vs) {
          const v = m * vs[j] + g;
          nextV[j] = v;
          g = nesterov ? g + m * v : v;
        }
        nextW[j] = ws[j] - lr * g;
      }
      assignValues(w, nextW.subarray(0, n));
      if (vs) assignValues(this.velocity.values[i], nextV.subarray(0, n));
      at += n;
    });
  }

  state(): Promise<SlotState[]> {
    return this.velocity.state();
  }

  loadState(state: readonly SlotState[]): void {
    this.velocity.load(state);
  }

  dispose(): void {
    this.velocity.dispose();
  }
}
