import type * as tf from '@tensorflow/tfjs-core';

/** One optimizer slot tensor, saved with checkpoints so that a resumed run is exact. */
export interface SlotState {
  readonly name: string;
  readonly shape: number[];
  readonly values: Float32Array;
}

/**
 * A first-order optimizer over an explicit variable list. Unlike tfjs's optimizers it
 * takes the learning rate per step (schedules live outside) and exposes its state.
 */
export interface Optimizer {
  /** Applies one update; `grads[i]` belongs to `variables[i]`. Call inside tf.tidy. */
  step(grads: readonly tf.Tensor[], lr: number): void;
  /**
   * The same update from a flat gradient (every variable's in order, then anything), computed
   * in plain loops over typed arrays: a loop per variable instead of a kernel per operation
   * (the data-parallel step's update, paid by every thread). Rounds once per result rather
   * than once per operation, so its last bits differ from `step`'s.
   */
  stepFlat(gradient: Float32Array, lr: number): void;
  readonly variables: readonly tf.Variable[];
  /** What it was built from: a pool worker builds its replica's optimizer from it. */
  readonly spec: OptimizerSpec;
  state(): Promise<SlotState[]>;
  loadState(state: readonly SlotState[]): void;
  dispose(): void;
}

export interface OptimizerSpec {
  readonly type: 'sgd' | 'adam';
  readonly momentum?: number;
  readonly nesterov?: boolean;
  /** Coupled L2 weight decay, added to the gradient as PyTorch's SGD and Adam do. */
  readonly weightDecay?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}
