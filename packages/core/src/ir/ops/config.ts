import { QcbError } from '../../errors.js';
import type { JsonMap, JsonValue } from '../graph.js';
import type { KerasLayer } from '../op-def.js';

/** Readers for Keras layer configs that fail with the layer and field named. */

function bad(layer: KerasLayer, key: string, want: string, got: JsonValue | undefined): QcbError {
  return new QcbError(
    'E_MODEL_JSON',
    `layer "${layer.name}" (${layer.className}): config.${key} must be ${want}, got ${JSON.stringify(got)}`,
  );
}

export function readNumber(layer: KerasLayer, key: string, fallback?: number): number {
  const v = layer.config[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw bad(layer, key, 'a number', v);
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(layer, key, 'a number', v);
  return v;
}

export function readPositiveInt(layer: KerasLayer, key: string, fallback?: number): number {
  const v = readNumber(layer, key, fallback);
  if (!Number.isInteger(v) || v <= 0) throw bad(layer, key, 'a positive integer', v);
  return v;
}

export function readBool(layer: KerasLayer, key: string, fallback: boolean): boolean {
  const v = layer.config[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw bad(layer, key, 'true or false', v);
  return v;
}

export function readString(layer: KerasLayer, key: string, fallback: string): string {
  const v = layer.config[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string') throw bad(layer, key, 'a string', v);
  return v;
}

/** An int or a pair of ints, as Keras writes kernel sizes and strides. */
export function readPair(layer: KerasLayer, key: string, fallback?: [number, number]): [number, number] {
  const v = layer.config[key];
  if (v === undefined || v === null) {
    if (fallback) return fallback;
    throw bad(layer, key, 'an integer or a pair of integers', v);
  }
  const pair = typeof v === 'number' ? [v, v] : v;
  if (
    !Array.isArray(pair) ||
    pair.length !== 2 ||
    !pair.every((x): x is number => typeof x === 'number' && Number.isInteger(x) && x > 0)
  ) {
    throw bad(layer, key, 'an integer or a pair of positive integers', v);
  }
  return [pair[0], pair[1]];
}

export function readPadding(layer: KerasLayer): 'same' | 'valid' {
  const p = readString(layer, 'padding', 'valid').toLowerCase();
  if (p !== 'same' && p !== 'valid') throw bad(layer, 'padding', '"same" or "valid"', p);
  return p;
}

export function requireChannelsLast(layer: KerasLayer): void {
  const f = readString(layer, 'data_format', 'channels_last');
  if (f !== 'channels_last') throw bad(layer, 'data_format', '"channels_last"', f);
}

/** Keras stores an activation as a name, or (Keras 3) as a serialized object. */
export function readActivationName(layer: KerasLayer, key = 'activation'): string {
  const v = layer.config[key];
  if (v === undefined || v === null) return 'linear';
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && !Array.isArray(v)) {
    const inner = (v as JsonMap)['config'];
    const name = typeof inner === 'object' && inner !== null && !Array.isArray(inner) ? (inner as JsonMap)['name'] : undefined;
    if (typeof name === 'string') return name;
    const cls = (v as JsonMap)['class_name'];
    if (typeof cls === 'string') return cls.toLowerCase();
  }
  throw bad(layer, key, 'an activation name', v);
}

/** The base config every exported layer carries. */
export function baseConfig(name: string, kept: JsonMap | undefined): JsonMap {
  return { ...(kept ?? {}), name, trainable: true, dtype: 'float32' };
}
