import type { UnitDrift } from '../scan/drift.js';

/** A unit's activation drift: the mean KL over its neurons. */
export interface UnitMeanDrift {
  readonly unit: string;
  readonly index: number;
  readonly meanKl: number;
}

export function unitMeanDrift(drift: readonly UnitDrift[]): UnitMeanDrift[] {
  return drift.map((u) => ({ unit: u.unit, index: u.index, meanKl: u.kl.length > 0 ? u.kl.reduce((s, v) => s + v, 0) / u.kl.length : 0 }));
}
