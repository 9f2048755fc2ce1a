import * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../../errors.js';
import type { JsonValue } from '../graph.js';
import type { OpDef } from '../op-def.js';
import { baseConfig, readBool, readNumber } from './config.js';
import { batchNormTrain, perChannel } from './batch-norm-train.js';

export interface BatchNormAttrs {
  readonly epsilon: number;
  readonly momentum: number;
  readonly center: boolean;
  readonly scale: boolean;
}

function isLastAxis(axis: JsonValue | undefined): boolean {
  const a = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
  return a === undefined || a === null || a === -1 || a === 3;
}

function gammaOf(node: { attrs: BatchNormAttrs }, param: (n: string) => tf.Tensor, channels: number): tf.Tensor1D {
  return (node.attrs.scale ? param('gamma') : tf.ones([channels])) as tf.Tensor1D;
}

function betaOf(node: { attrs: BatchNormAttrs }, param: (n: string) => tf.Tensor, channels: number): tf.Tensor1D {
  return (node.attrs.center ? param('beta') : tf.zeros([channels])) as tf.Tensor1D;
}

export const batchNormOp: OpDef<BatchNormAttrs> = {
  op: 'batchNorm',
  role: 'norm',
  kerasClasses: ['BatchNormalization'],
  arity: 1,
  forward([x], node, ctx) {
    const a = node.attrs;
    const channels = x.shape[x.rank - 1];
    const param = (name: string): tf.Tensor => ctx.param(node, name);
    const gamma = gammaOf(node, param, channels);
    const beta = betaOf(node, param, channels);
    const shared = ctx.training ? ctx.batchStats?.(node) : undefined;
    if (shared) {
      // Plain ops, so that gradients also reach the branch the statistics came from.
      return tf.add(tf.mul(tf.mul(tf.sub(x, shared.mean), tf.rsqrt(tf.add(shared.variance, a.epsilon))), gamma), beta);
    }
    if (ctx.training) {
      const update = ctx.updateStats
        ? (mean: tf.Tensor1D, variance: tf.Tensor1D): void => {
            const mm = node.params['movingMean'];
            const mv = node.params['movingVariance'];
            mm.assign(tf.add(tf.mul(mm, a.momentum), tf.mul(mean, 1 - a.momentum)));
            mv.assign(tf.add(tf.mul(mv, a.momentum), tf.mul(variance, 1 - a.momentum)));
          }
        : undefined;
      return batchNormTrain(x, gamma, beta, a.epsilon, update);
    }
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(param('movingVariance'), a.epsilon)));
    const shift = tf.sub(beta, tf.mul(param('movingMean'), scale));
    // Under a gradient tape (LAC's units, I-BAU's second-order products) the broadcasting ops,
    // which tfjs differentiates to any order; otherwise one depthwise pass, to the same floats.
    return tf.engine().state.gradientDepth > 0 ? tf.add(tf.mul(x, scale), shift) : perChannel(x, scale, shift);
  },
  fromKeras(layer, weight) {
    if (!isLastAxis(layer.config['axis'])) {
      throw new QcbError('E_LAYER_UNSUPPORTED', `layer "${layer.name}": BatchNormalization over axis ${JSON.stringify(layer.config['axis'])} is not supported (channels-last only)`);
    }
    const attrs: BatchNormAttrs = {
      epsilon: readNumber(layer, 'epsilon', 1e-3),
      momentum: readNumber(layer, 'momentum', 0.99),
      center: readBool(layer, 'center', true),
      scale: readBool(layer, 'scale', true),
    };
    const params: Record<string, tf.Tensor> = {};
    if (attrs.scale) params['gamma'] = weight('gamma');
    if (attrs.center) params['beta'] = weight('beta');
    params['movingMean'] = weight('moving_mean');
    params['movingVariance'] = weight('moving_variance');
    return { attrs, params, frozen: ['movingMean', 'movingVariance'] };
  },
  toKeras(node) {
    const a = node.attrs;
    const weights: Array<readonly [string, string]> = [];
    if (a.scale) weights.push(['gamma', 'gamma']);
    if (a.center) weights.push(['beta', 'beta']);
    weights.push(['moving_mean', 'movingMean'], ['moving_variance', 'movingVariance']);
    return {
      className: 'BatchNormalization',
      config: {
        ...baseConfig(node.name, node.kerasConfig),
        axis: -1,
        momentum: a.momentum,
        epsilon: a.epsilon,
        center: a.center,
        scale: a.scale,
      },
      weights,
    };
  },
};
