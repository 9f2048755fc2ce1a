import { QcbError } from '../errors.js';
import type { QuantizerProfile } from './profile.js';

/**
 * A profile from a generic spec: `uniform:w4a8,per-channel,asym,mse`. Tokens after the
 * bit widths (any order): per-channel | per-tensor, sym | asym, mse | minmax, fold (fold
 * BN), first-last-8 (keep the first and last layer at 8 bits). `wN` alone quantizes weights
 * only. Defaults: per-channel, asym, mse, no folding, all layers at the given bits.
 */
export function parseGenericSpec(spec: string): QuantizerProfile {
  const body = spec.slice('uniform:'.length);
  const [bitsToken, ...rest] = body.split(',').map((t) => t.trim());
  const m = /^w(\d)(?:a(\d))?$/.exec(bitsToken ?? '');
  if (!spec.startsWith('uniform:') || !m) {
    throw new QcbError('E_USAGE', `quantizer spec "${spec}" must start with uniform:w<bits>[a<bits>], e.g. uniform:w4a8,per-channel,asym,mse`);
  }
  let granularity: 'per-channel' | 'per-tensor' = 'per-channel';
  let symmetric = false;
  let observer: 'mse' | 'minmax' = 'mse';
  let fold = false;
  let firstLast = false;
  for (const t of rest) {
    if (t === 'per-channel' || t === 'per-tensor') granularity = t;
    else if (t === 'sym' || t === 'asym') symmetric = t === 'sym';
    else if (t === 'mse' || t === 'minmax') observer = t;
    else if (t === 'fold') fold = true;
    else if (t === 'first-last-8') firstLast = true;
    else throw new QcbError('E_USAGE', `quantizer spec "${spec}": unknown token "${t}" (per-channel, per-tensor, sym, asym, mse, minmax, fold, first-last-8)`);
  }
  const wBits = Number(m[1]);
  const aBits = m[2] === undefined ? null : Number(m[2]);
  return {
    name: spec,
    description: `generic uniform quantizer ${body}`,
    weights: { bits: wBits, granularity, symmetric, observer },
    activations: aBits === null ? null : { bits: aBits, symmetric, observer, smoothing: { kind: 'ema', factor: 0.9 } },
    firstLastAt8Bits: firstLast,
    foldBatchNorm: fold,
  };
}
