/** A figure over seeds: the mean and the sample standard deviation (null with one seed). */
export interface SeedStat {
  readonly mean: number;
  readonly spread: number | null;
  readonly n: number;
}

export function seedStat(values: readonly number[]): SeedStat {
  const n = values.length;
  if (n === 0) throw new Error('seedStat: no values');
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n === 1) return { mean, spread: null, n };
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  return { mean, spread: Math.sqrt(variance), n };
}

/** "87.6±0.3", or "87.6" for one seed (or when the spread is not wanted). */
export function formatSeedStat(s: SeedStat, digits = 1, withSpread = true): string {
  const mean = s.mean.toFixed(digits);
  return withSpread && s.spread !== null ? `${mean}±${s.spread.toFixed(digits)}` : mean;
}
