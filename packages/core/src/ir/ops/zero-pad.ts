import * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../../errors.js';
import type { OpDef } from '../op-def.js';
import { baseConfig, requireChannelsLast } from './config.js';

export interface ZeroPadAttrs {
  /** [[top, bottom], [left, right]] */
  readonly padding: readonly [readonly [number, number], readonly [number, number]];
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

export const zeroPadOp: OpDef<ZeroPadAttrs> = {
  op: 'zeroPad',
  role: 'shape',
  kerasClasses: ['ZeroPadding2D'],
  arity: 1,
  forward([x], node) {
    const [[t, b], [l, r]] = node.attrs.padding;
    return tf.pad(x, [[0, 0], [t, b], [l, r], [0, 0]]);
  },
  fromKeras(layer) {
    requireChannelsLast(layer);
    const p = layer.config['padding'] ?? 1;
    let padding: ZeroPadAttrs['padding'] | undefined;
    if (isCount(p)) padding = [[p, p], [p, p]];
    else if (Array.isArray(p) && p.length === 2 && isCount(p[0]) && isCount(p[1])) padding = [[p[0], p[0]], [p[1], p[1]]];
    else if (
      Array.isArray(p) && p.length === 2 &&
      p.every((q) => Array.isArray(q) && q.length === 2 && q.every(isCount))
    ) {
      const [[t, b], [l, r]] = p as number[][];
      padding = [[t, b], [l, r]];
    }
    if (!padding) {
      throw new QcbError('E_MODEL_JSON', `layer "${layer.name}" (ZeroPadding2D): config.padding must be an int, a pair or a pair of pairs, got ${JSON.stringify(p)}`);
    }
    return { attrs: { padding }, params: {} };
  },
  toKeras(node) {
    const [[t, b], [l, r]] = node.attrs.padding;
    return {
      className: 'ZeroPadding2D',
      config: { ...baseConfig(node.name, node.kerasConfig), padding: [[t, b], [l, r]], data_format: 'channels_last' },
      weights: [],
    };
  },
};
