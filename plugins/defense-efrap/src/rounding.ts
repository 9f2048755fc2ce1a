import * as tf from '@tensorflow/tfjs-core';
import { fakeQuant, type QuantParams } from '@qcb/core';

/** Fractional parts are kept this far from 0 and 1 so that their logits stay finite. */
const FRAC_EPS = 1e-6;

/** Scale and zero point broadcasting along the last axis (per channel) or scalars (per tensor). */
function gridTensors(p: QuantParams): { scale: tf.Tensor; zeroPoint: tf.Tensor } {
  return p.axis === null
    ? { scale: tf.scalar(p.scale[0]), zeroPoint: tf.scalar(p.zeroPoint[0]) }
    : { scale: tf.tensor1d(p.scale), zeroPoint: tf.tensor1d(p.zeroPoint) };
}

/**
 * A weight's rounding problem on its frozen grid, in the channels-last view: each value
 * lies between the grid levels `floor(w / s)` and `floor(w / s) + 1` (before the zero point
 * and the clamp); a rounding variable h in [0, 1] picks between them. Owns its tensors.
 */
export class FlipRounding {
  /** floor(w / s) */
  readonly floor: tf.Tensor;
  /** 1 where nearest rounding goes up, 0 where it goes down. */
  readonly nearestUp: tf.Tensor;
  /** The truncation error |w - Q(w)| of nearest rounding (the authors' `get_error`). */
  readonly error: tf.Tensor;
  /** The logits whose sigmoid is the fractional part w / s - floor(w / s) (the authors' `init_alpha`): soft rounding starts at w itself. */
  readonly initialLogits: tf.Tensor;
  private readonly scale: tf.Tensor;
  private readonly zeroPoint: tf.Tensor;

  constructor(view: tf.Tensor, readonly params: QuantParams) {
    const { scale, zeroPoint } = gridTensors(params);
    this.scale = scale;
    this.zeroPoint = zeroPoint;
    [this.floor, this.nearestUp, this.error, this.initialLogits] = tf.tidy(() => {
      const x = tf.div(view, scale);
      const floor = tf.floor(x);
      const frac = tf.sub(x, floor);
      const clipped = tf.clipByValue(frac, FRAC_EPS, 1 - FRAC_EPS);
      const logits = tf.neg(tf.log(tf.sub(tf.div(1, clipped), 1)));
      return [floor, tf.round(frac), tf.abs(tf.sub(view, fakeQuant(view, params))), logits];
    });
  }

  /** The weight at rounding h (soft or hard): s * (clamp(floor + h + zp, qmin, qmax) - zp). */
  weight(h: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const level = tf.clipByValue(tf.add(tf.add(this.floor, h), this.zeroPoint), this.params.qmin, this.params.qmax);
      return tf.mul(tf.sub(level, this.zeroPoint), this.scale);
    });
  }

  /** The hard decision of logits (the authors' `alpha >= 0`): 1 rounds up from the floor. */
  static hard(logits: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.cast(tf.greaterEqual(logits, 0), 'float32'));
  }

  /** The direction nearest rounding does not take: the target of the flip term (the authors' `get_reverse_round`). */
  flipped(): tf.Tensor {
    return tf.sub(1, this.nearestUp);
  }

  dispose(): void {
    tf.dispose([this.floor, this.nearestUp, this.error, this.initialLogits, this.scale, this.zeroPoint]);
  }
}
