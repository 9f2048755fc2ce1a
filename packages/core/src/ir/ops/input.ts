import type { OpDef } from '../op-def.js';
import { baseConfig } from './config.js';

export interface InputAttrs {
  /** Shape without the batch dimension. */
  readonly shape: readonly number[];
}

/** The graph's input placeholder; the executor feeds it, so its forward passes through. */
export const inputOp: OpDef<InputAttrs> = {
  op: 'input',
  role: 'input',
  kerasClasses: ['InputLayer'],
  arity: 0,
  forward([x]) {
    return x;
  },
  fromKeras() {
    // Shapes are resolved by the importer, which knows Sequential and functional forms.
    return { attrs: { shape: [] }, params: {} };
  },
  toKeras(node) {
    return {
      className: 'InputLayer',
      config: { ...baseConfig(node.name, undefined), batch_input_shape: [null, ...node.attrs.shape], sparse: false },
      weights: [],
    };
  },
};
