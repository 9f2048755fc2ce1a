import * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../../errors.js';
import type { JsonValue } from '../graph.js';
import type { OpDef } from '../op-def.js';
import { baseConfig, readBool, readNumber } from './config.js';

export interface LayerNormAttrs {
  /** -1, or the last axis counted from the batch axis (Keras writes it resolved, e.g. 2 for tokens). */
  readonly axis: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
}

/** The one normalised axis of a Keras config (-1 when absent), or null when there are several. */
function singleAxis(axis: JsonValue | undefined): number | null {
  const a = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
  if (a === undefined || a === null) return -1;
  return typeof a === 'number' && Number.isInteger(a) && (a === -1 || a > 0) ? a : null;
}

/**
 * Keras `LayerNormalization` over the last axis: each sample's features normalised by their
 * own mean and variance, y = (x - mean) / sqrt(var + eps) * gamma + beta. Unlike BN it has
 * no running statistics, so PDA finds nothing to match in it.
 */
export const layerNormOp: OpDef<LayerNormAttrs> = {
  op: 'layerNorm',
  role: 'norm',
  kerasClasses: ['LayerNormalization'],
  arity: 1,
  forward([x], node, ctx) {
    const a = node.attrs;
    if (a.axis !== -1 && a.axis !== x.rank - 1) {
      throw new QcbError('E_LAYER_UNSUPPORTED', `layer "${node.name}": LayerNormalization over axis ${a.axis} of a rank-${x.rank} input is not supported (the last axis only)`);
    }
    const { mean, variance } = tf.moments(x, -1, true);
    let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, a.epsilon)));
    if (a.scale) y = tf.mul(y, ctx.param(node, 'gamma'));
    if (a.center) y = tf.add(y, ctx.param(node, 'beta'));
    return y;
  },
  fromKeras(layer, weight) {
    const axis = singleAxis(layer.config['axis']);
    if (axis === null) {
      throw new QcbError('E_LAYER_UNSUPPORTED', `layer "${layer.name}": LayerNormalization over axis ${JSON.stringify(layer.config['axis'])} is not supported (the last axis only)`);
    }
    if (readBool(layer, 'rms_scaling', false)) {
      throw new QcbError('E_LAYER_UNSUPPORTED', `layer "${layer.name}": LayerNormalization with rms_scaling is not supported`);
    }
    const attrs: LayerNormAttrs = {
      axis,
      epsilon: readNumber(layer, 'epsilon', 1e-3),
      center: readBool(layer, 'center', true),
      scale: readBool(layer, 'scale', true),
    };
    const params: Record<string, tf.Tensor> = {};
    if (attrs.scale) params['gamma'] = weight('gamma');
    if (attrs.center) params['beta'] = weight('beta');
    return { attrs, params };
  },
  toKeras(node) {
    const a = node.attrs;
    const weights: Array<readonly [string, string]> = [];
    if (a.scale) weights.push(['gamma', 'gamma']);
    if (a.center) weights.push(['beta', 'beta']);
    return {
      className: 'LayerNormalization',
      config: { ...baseConfig(node.name, node.kerasConfig), axis: a.axis, epsilon: a.epsilon, center: a.center, scale: a.scale },
      weights,
    };
  },
};
