/** Seconds per call of `fn`, after `warmup` untimed calls, over `reps` timed calls. */
export async function timePerCall(fn: () => void | Promise<void>, reps: number, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9 / reps;
}

export function fmt(x: number, digits = 3): string {
  return x.toPrecision(digits);
}
