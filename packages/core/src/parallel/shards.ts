/** A contiguous part of a batch: rows [start, start + size). */
export interface Shard {
  readonly start: number;
  readonly size: number;
}

/**
 * Splits `count` rows into `parts` contiguous shards, the first ones one row larger when it
 * does not divide; a part may be empty when count < parts.
 */
export function shardsOf(count: number, parts: number): Shard[] {
  const base = Math.floor(count / parts);
  const extra = count % parts;
  const shards: Shard[] = [];
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const size = base + (i < extra ? 1 : 0);
    shards.push({ start, size });
    start += size;
  }
  return shards;
}
