import * as tf from '@tensorflow/tfjs-core';
import { GraphModel, assignValues, floatValues, fromPortableGraph, variableKeys, type ParallelTask, type PortableGraph } from '@qcb/core';
import { meanCrossEntropy, perturbationLoss, predictedLabels } from './loss.js';
import { exactSecondOrder, finiteDifferenceSecondOrder, type LocalSecondOrder } from './second-order.js';

/** Rows of a batch as plain data: images `[rows, ...inputShape]` and integer labels. */
export interface ShardRows {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly rows: number;
}

/** What each worker receives once (pool.ts sends it). */
export interface IbauTaskInit {
  readonly graph: PortableGraph;
  /** The trained variables' keys, in the order of `weights` and of the gradient slot. */
  readonly keys: readonly string[];
  /** The trained variables' values, rewritten by the calling thread after each update. */
  readonly weights: SharedArrayBuffer;
  /** This worker's rows of the hypergradient's inner batch and their share of it. */
  readonly inner: ShardRows;
  readonly innerShare: number;
  /** The inner loss's L2 weight on delta (perturbationLoss's reg). */
  readonly reg: number;
  readonly secondOrder: 'exact' | 'finite-difference';
}

/** Every call names the weights' version; a worker behind it reloads them from shared memory first. */
interface Versioned {
  readonly version: number;
}

export interface OuterCall extends Versioned {
  readonly rows: ShardRows;
  /** One mask value per row: 1 where the row gets delta. */
  readonly mask: Float32Array;
  readonly delta: Float32Array;
  readonly share: number;
}

export interface SearchCall extends Versioned {
  readonly rows: ShardRows;
  readonly delta: Float32Array;
  readonly share: number;
  readonly reg: number;
}

export interface ProductCall extends Versioned {
  readonly delta: Float32Array;
  readonly v: Float32Array;
}

/**
 * I-BAU's shard work on a pool worker: each gradient or product of its rows, weighted by
 * their share of the batch, written into the worker's slot (the trained variables' gradients
 * first, then delta's), so that the calling thread's sum over the slots is the whole batch's.
 * The model runs in inference mode as I-BAU's does, so the sum is the one-thread value up to
 * float rounding. Calls: 'outer', 'search', 'hvp', 'mixed'.
 */
export function createIbauTask(raw: unknown): ParallelTask {
  const init = raw as IbauTaskInit;
  const model = new GraphModel(fromPortableGraph(init.graph));
  const { variables, keys } = variableKeys(model);
  const byKey = new Map(keys.map((k, i) => [k, variables[i]]));
  const vars = init.keys.map((k) => {
    const v = byKey.get(k);
    if (!v) throw new Error(`i-bau worker: no variable ${k}`);
    return v;
  });
  const weights = new Float32Array(init.weights);
  const thetaSize = vars.reduce((n, v) => n + v.size, 0);
  const deltaShape = [1, ...model.inputShape];
  const images = (r: ShardRows): tf.Tensor => tf.tensor(r.x, [r.rows, ...model.inputShape], 'float32');
  const innerX = images(init.inner);
  const innerY = tf.tensor1d(init.inner.y, 'int32');
  const inner = { model, vars, x: innerX, y: innerY, reg: init.reg };
  const second: LocalSecondOrder = init.secondOrder === 'exact' ? exactSecondOrder(inner) : finiteDifferenceSecondOrder(inner);
  const delta = tf.tidy(() => tf.variable(tf.zeros(deltaShape), true));
  let version = -1;

  const load = (call: Versioned): void => {
    if (call.version === version) return;
    let offset = 0;
    for (const v of vars) {
      assignValues(v, weights.subarray(offset, offset + v.size));
      offset += v.size;
    }
    version = call.version;
  };
  const write = (slot: Float32Array, at: number, tensors: readonly tf.Tensor[]): void => {
    for (const t of tensors) {
      slot.set(floatValues(t), at);
      at += t.size;
    }
  };

  return {
    call(kind, payload, slot) {
      const call = payload as Versioned;
      load(call);
      if (kind === 'outer') {
        const c = call as OuterCall;
        return tf.tidy(() => {
          if (c.rows.rows === 0) {
            slot.fill(0);
            return 0;
          }
          delta.assign(tf.tensor(c.delta, deltaShape, 'float32'));
          const x = images(c.rows);
          const mask = tf.tensor4d(c.mask, [c.rows.rows, 1, 1, 1]);
          const y = tf.tensor1d(c.rows.y, 'int32');
          const { value, grads } = tf.variableGrads(() => tf.mul(meanCrossEntropy(model.predict(tf.add(x, tf.mul(mask, delta))), y), c.share) as tf.Scalar, [...vars, delta]);
          write(slot, 0, [...vars.map((v) => grads[v.name] ?? tf.zerosLike(v)), grads[delta.name] ?? tf.zerosLike(delta)]);
          return value.dataSync()[0];
        });
      }
      if (kind === 'search') {
        const c = call as SearchCall;
        tf.tidy(() => {
          if (c.rows.rows === 0) return void slot.fill(0, thetaSize);
          const x = images(c.rows);
          const labels = predictedLabels(model, x);
          const d = tf.tensor(c.delta, deltaShape, 'float32');
          const grad = tf.grad((t: tf.Tensor) => tf.mul(perturbationLoss(model, x, labels, t, c.reg), c.share) as tf.Scalar)(d);
          write(slot, thetaSize, [grad]);
        });
        return null;
      }
      const c = call as ProductCall;
      tf.tidy(() => {
        const d = tf.tensor(c.delta, deltaShape, 'float32');
        const v = tf.tensor(c.v, deltaShape, 'float32');
        // The products are linear in the loss: the share's weight applies to them.
        if (kind === 'hvp') write(slot, thetaSize, [tf.mul(second.hvp(d, v), init.innerShare)]);
        else if (kind === 'mixed') write(slot, 0, second.mixed(d, v).map((m) => tf.mul(m, init.innerShare)));
        else throw new Error(`i-bau worker: unknown call ${kind}`);
      });
      return null;
    },
    dispose() {
      tf.dispose([innerX, innerY, delta]);
      model.dispose();
    },
  };
}
