import type { Rng } from '../data/random.js';

export { mulberry32 } from '../data/random.js';

/** `count` distinct indices from [0, n), chosen by a partial Fisher-Yates shuffle. */
export function sampleIndices(n: number, count: number, random: Rng): Int32Array {
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (n - i));
    const tmp = pool[i];
    pool[i] = pool[j];
    pool[j] = tmp;
  }
  return pool.slice(0, count);
}
