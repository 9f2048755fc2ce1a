import { QcbError } from '../errors.js';
import type { QuantParams } from '../kernel/hook-types.js';
import type { QuantizedModel } from './quantized-model.js';

export const QUANT_JSON = 'quant.json';

interface ParamsJson {
  bits: number;
  qmin: number;
  qmax: number;
  axis: number | null;
  scale: number[];
  zeroPoint: number[];
}

/** quant.json: per layer, the weight grid and the input-activation grid. */
export interface QuantJson {
  version: 1;
  profile: string;
  foldedBatchNorm: boolean;
  weights: Record<string, ParamsJson>;
  activations: Record<string, ParamsJson>;
}

function toJson(p: QuantParams): ParamsJson {
  return { bits: p.bits, qmin: p.qmin, qmax: p.qmax, axis: p.axis, scale: Array.from(p.scale), zeroPoint: Array.from(p.zeroPoint) };
}

export function quantJsonOf(q: QuantizedModel): QuantJson {
  const map = (m: ReadonlyMap<string, QuantParams>): Record<string, ParamsJson> =>
    Object.fromEntries([...m].map(([k, v]) => [k, toJson(v)]));
  return { version: 1, profile: q.parts.profile, foldedBatchNorm: q.parts.foldedBatchNorm, weights: map(q.parts.weights), activations: map(q.parts.activations) };
}

function bad(file: string, what: string): QcbError {
  return new QcbError('E_MODEL_JSON', `${file}: ${what}`);
}

function parseParams(v: unknown, where: string, file: string): QuantParams {
  const o = v as Partial<ParamsJson> | null;
  const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
  if (typeof o !== 'object' || o === null) throw bad(file, `${where} must be an object`);
  if (!isInt(o.bits) || o.bits < 2 || o.bits > 8) throw bad(file, `${where}.bits must be an integer from 2 to 8`);
  if (!isInt(o.qmin) || !isInt(o.qmax) || o.qmin >= o.qmax) throw bad(file, `${where} needs integer qmin < qmax`);
  if (!(o.axis === null || isInt(o.axis))) throw bad(file, `${where}.axis must be null or an integer`);
  const nums = (a: unknown): a is number[] => Array.isArray(a) && a.length > 0 && a.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!nums(o.scale) || !o.scale.every((s) => s > 0)) throw bad(file, `${where}.scale must be positive numbers`);
  if (!nums(o.zeroPoint) || o.zeroPoint.length !== o.scale.length) throw bad(file, `${where}.zeroPoint must match scale`);
  if (o.axis === null && o.scale.length !== 1) throw bad(file, `${where}: a per-tensor grid has one scale`);
  return { bits: o.bits, qmin: o.qmin, qmax: o.qmax, axis: o.axis, scale: Float32Array.from(o.scale), zeroPoint: Float32Array.from(o.zeroPoint) };
}

export function parseQuantJson(json: unknown, file: string, nodeNames: ReadonlySet<string>): Omit<QuantJson, 'weights' | 'activations'> & { weights: Map<string, QuantParams>; activations: Map<string, QuantParams> } {
  const o = json as Partial<QuantJson> | null;
  if (typeof o !== 'object' || o === null || o.version !== 1) throw bad(file, 'must be an object with "version": 1');
  if (typeof o.profile !== 'string') throw bad(file, '"profile" must be a string');
  const read = (rec: unknown, kind: string): Map<string, QuantParams> => {
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) throw bad(file, `"${kind}" must be an object`);
    const m = new Map<string, QuantParams>();
    for (const [k, v] of Object.entries(rec)) {
      if (!nodeNames.has(k)) throw bad(file, `${kind}.${k} names no layer of the model`);
      m.set(k, parseParams(v, `${kind}.${k}`, file));
    }
    return m;
  };
  return { version: 1, profile: o.profile, foldedBatchNorm: o.foldedBatchNorm === true, weights: read(o.weights, 'weights'), activations: read(o.activations, 'activations') };
}
