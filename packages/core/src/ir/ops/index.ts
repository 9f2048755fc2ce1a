import '../../tfjs-setup.js';
import { QcbError } from '../../errors.js';
import type { OpDef } from '../op-def.js';
import { activationOp } from './activation.js';
import { addOp } from './add.js';
import { batchNormOp } from './batch-norm.js';
import { conv2dOp } from './conv2d.js';
import { denseOp } from './dense.js';
import { depthwiseConv2dOp } from './depthwise-conv2d.js';
import { dropoutOp } from './dropout.js';
import { flattenOp } from './flatten.js';
import { globalAvgPoolOp } from './global-avg-pool.js';
import { inputOp } from './input.js';
import { layerNormOp } from './layer-norm.js';
import { normalizeOp } from './normalize.js';
import { avgPoolOp, maxPoolOp } from './pool2d.js';
import { positionEmbeddingOp } from './position-embedding.js';
import { qkvAttentionOp } from './qkv-attention.js';
import { rescaleOp } from './rescale.js';
import { reshapeOp } from './reshape.js';
import { zeroPadOp } from './zero-pad.js';

export type { ActivationAttrs } from './activation.js';
export type { AddAttrs } from './add.js';
export type { BatchNormAttrs } from './batch-norm.js';
export type { Conv2DAttrs } from './conv2d.js';
export type { DenseAttrs } from './dense.js';
export type { DepthwiseConv2DAttrs } from './depthwise-conv2d.js';
export type { DropoutAttrs } from './dropout.js';
export type { GlobalAvgPoolAttrs } from './global-avg-pool.js';
export type { InputAttrs } from './input.js';
export type { LayerNormAttrs } from './layer-norm.js';
export type { Pool2DAttrs } from './pool2d.js';
export { ADD_POSITION_EMBEDDING_CLASS, type PositionEmbeddingAttrs } from './position-embedding.js';
export { QKV_ATTENTION_CLASS, qkvAttention, type QkvAttentionAttrs } from './qkv-attention.js';
export type { RescaleAttrs } from './rescale.js';
export type { ReshapeAttrs } from './reshape.js';
export type { ZeroPadAttrs } from './zero-pad.js';
export { batchNormTrain } from './batch-norm-train.js';

/** Ops are stored erased; each op's own file keeps its attrs typed. */
type ErasedOpDef = OpDef<unknown>;

const OPS = new Map<string, ErasedOpDef>();
const BY_KERAS_CLASS = new Map<string, ErasedOpDef>();

export function registerOp<A>(def: OpDef<A>): void {
  const erased = def as unknown as ErasedOpDef;
  OPS.set(def.op, erased);
  for (const cls of def.kerasClasses) BY_KERAS_CLASS.set(cls, erased);
}

for (const def of [
  inputOp, conv2dOp, depthwiseConv2dOp, denseOp, batchNormOp, activationOp, addOp,
  maxPoolOp, avgPoolOp, globalAvgPoolOp, flattenOp, dropoutOp, zeroPadOp, rescaleOp, normalizeOp,
  layerNormOp, reshapeOp, qkvAttentionOp, positionEmbeddingOp,
] as const) {
  registerOp(def as OpDef<never>);
}

export function opDef(op: string): ErasedOpDef {
  const def = OPS.get(op);
  if (!def) throw new QcbError('E_LAYER_UNSUPPORTED', `unknown IR op "${op}"`);
  return def;
}

export function opForKerasClass(className: string): ErasedOpDef {
  const def = BY_KERAS_CLASS.get(className);
  if (!def) {
    throw new QcbError(
      'E_LAYER_UNSUPPORTED',
      `unsupported layer class "${className}" (supported: ${[...BY_KERAS_CLASS.keys()].sort().join(', ')})`,
    );
  }
  return def;
}

export function supportedKerasClasses(): string[] {
  return [...BY_KERAS_CLASS.keys()].sort();
}
