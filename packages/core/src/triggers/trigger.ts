import type * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../errors.js';
import type { TriggerSpec } from '../io/folder/sidecar.js';

/** [height, width, channels] of the images a trigger is made for. */
export type InputShape = readonly [number, number, number];

export type TriggerType = TriggerSpec['type'];

/** The spec of one trigger type. */
export type TriggerSpecOf<T extends TriggerType> = Extract<TriggerSpec, { type: T }>;

/** A backdoor trigger, fixed for one input shape. */
export interface Trigger {
  /** The spec with every default filled in, fit for qcb.json. */
  readonly spec: TriggerSpec;
  /** One line for logs and reports. */
  readonly description: string;
  /**
   * Stamps the trigger on NHWC images in [0, 1] pixel space (before input normalisation).
   * Returns a new tensor clipped to [0, 1]; the caller owns it and still owns `images`.
   */
  apply(images: tf.Tensor4D): tf.Tensor4D;
}

export interface TriggerFactory {
  readonly type: TriggerType;
  /** Validates the spec against the input shape (QcbError E_USAGE) and builds the trigger. */
  create(spec: TriggerSpec, inputShape: InputShape): Trigger;
}

/** A TriggerFactory whose `create` sees only specs of its own type. */
export function defineTriggerFactory<T extends TriggerType>(
  type: T,
  create: (spec: TriggerSpecOf<T>, inputShape: InputShape) => Trigger,
): TriggerFactory {
  return {
    type,
    create(spec, inputShape) {
      if (spec.type !== type) {
        throw new QcbError('E_USAGE', `the ${type} trigger factory got a spec of type "${String(spec.type)}"`);
      }
      return create(spec as TriggerSpecOf<T>, inputShape);
    },
  };
}
