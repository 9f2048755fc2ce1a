import '../../tfjs-setup.js';
import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer, SlotState } from '../../train/optimizers/index.js';
import type { SamSpec } from './spec.js';

/** Added to the gradient norm (BackdoorBench's `perturb_eps`). */
const EPS = 1e-12;

/** The batch loss; `perturbed` is true on the second pass, at w + e. */
export type SamLoss = (perturbed: boolean) => tf.Scalar;

export interface SamStepResult {
  /** The loss at w (what the step reports). */
  readonly loss: number;
  /** The loss at w + e. */
  readonly perturbedLoss: number;
}

/**
 * Sharpness-aware minimisation around a base optimizer (Foret et al., ICLR 2021). One step:
 * the gradient g at w; the ascent e = rho g / ||g|| (adaptive, ASAM: e = rho w^2 g / ||w g||,
 * element-wise, as BackdoorBench's FT-SAM with adaptive=True); the gradient at w + e; w
 * restored exactly; the base optimizer's update with that second gradient (its momentum
 * and weight decay apply at w).
 */
export class Sam {
  constructor(readonly base: Optimizer, readonly spec: SamSpec) {}

  get variables(): readonly tf.Variable[] {
    return this.base.variables;
  }

  step(loss: SamLoss, lr: number): SamStepResult {
    const vars = [...this.base.variables];
    return tf.tidy(() => {
      const first = tf.variableGrads(() => loss(false), vars);
      const e = this.ascent(vars, vars.map((v) => first.grads[v.name] ?? tf.zerosLike(v)));
      // clone shares the data, so the restore below is exact (no w + e - e rounding).
      const saved = vars.map((v) => tf.clone(v));
      vars.forEach((v, i) => v.assign(tf.add(v, e[i])));
      let second: ReturnType<typeof tf.variableGrads>;
      try {
        second = tf.variableGrads(() => loss(true), vars);
      } finally {
        vars.forEach((v, i) => v.assign(saved[i]));
      }
      this.base.step(vars.map((v) => second.grads[v.name] ?? tf.zerosLike(v)), lr);
      return { loss: first.value.dataSync()[0], perturbedLoss: second.value.dataSync()[0] };
    });
  }

  /** The perturbation e of every variable for gradients g (call inside tidy). */
  ascent(vars: readonly tf.Variable[], g: readonly tf.Tensor[]): tf.Tensor[] {
    const adaptive = this.spec.adaptive ?? true;
    const scaled = adaptive ? g.map((gi, i) => tf.mul(tf.abs(vars[i]), gi)) : g;
    const norm = tf.sqrt(tf.addN(scaled.map((s) => tf.sum(tf.square(s)))));
    const scale = tf.div(this.spec.rho, tf.add(norm, EPS));
    return g.map((gi, i) => (adaptive ? tf.mul(tf.mul(gi, scale), tf.square(vars[i])) : tf.mul(gi, scale)));
  }

  state(): Promise<SlotState[]> {
    return this.base.state();
  }

  loadState(state: readonly SlotState[]): void {
    this.base.loadState(state);
  }

  dispose(): void {
    this.base.dispose();
  }
}
