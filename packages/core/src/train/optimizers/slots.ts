import * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../../errors.js';
import type { SlotState } from './optimizer.js';

/** Zero-initialised slot variables, one per model variable, with state save/restore. */
export class Slots {
  readonly values: tf.Variable[];

  /** `keys` name each variable stably (e.g. `node/param`) so state survives a model reload. */
  constructor(readonly prefix: string, variables: readonly tf.Variable[], private readonly keys: readonly string[] = variables.map((_, i) => String(i))) {
    // tidy: tf.variable shares the zeros' data; the zeros tensor itself must go.
    this.values = tf.tidy(() => variables.map((v) => tf.variable(tf.zerosLike(v), false)));
  }

  async state(): Promise<SlotState[]> {
    return Promise.all(
      this.values.map(async (v, i) => ({ name: `${this.prefix}/${this.keys[i]}`, shape: [...v.shape], values: (await v.data()) as Float32Array })),
    );
  }

  load(state: readonly SlotState[]): void {
    this.values.forEach((v, i) => {
      const name = `${this.prefix}/${this.keys[i]}`;
      const s = state.find((e) => e.name === name);
      if (!s || s.values.length !== v.size) throw new QcbError('E_USAGE', `optimizer state has no matching slot ${name}`);
      // tidy: assign shares the new tensor's data; the tensor itself must go.
      tf.tidy(() => v.assign(tf.tensor(s.values, v.shape)));
    });
  }

  dispose(): void {
    this.values.forEach((v) => v.dispose());
  }
}
