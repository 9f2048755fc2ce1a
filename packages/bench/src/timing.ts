/** Seconds of each of `reps` timed calls of `fn`, after `warmup` untimed calls. */
export async function timeCalls(fn: () => void | Promise<void>, reps: number, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return times;
}

/** The median: a slow call (a GC pause, another process) does not move it. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median seconds per call of `fn`, after `warmup` untimed calls, over `reps` timed calls. */
export async function timePerCall(fn: () => void | Promise<void>, reps: number, warmup = 1): Promise<number> {
  return median(await timeCalls(fn, reps, warmup));
}

export function fmt(x: number, digits = 3): string {
  return x.toPrecision(digits);
}
