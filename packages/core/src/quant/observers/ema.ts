import type { Range } from './minmax.js';

import type { ActivationScheme } from '../profile.js';

/**
 * A range combined over calibration batches (the first batch sets it): an EMA
 * r = f * r + (1 - f) * batch, or the extremes seen so far.
 */
export class EmaRange {
  private current: Range | null = null;

  constructor(private readonly smoothing: ActivationScheme['smoothing']) {}

  update(batch: Range): Range {
    const prev = this.current;
    const s = this.smoothing;
    if (prev === null) this.current = batch;
    else if (s.kind === 'extreme') {
      this.current = { min: prev.min.map((v, i) => Math.min(v, batch.min[i])), max: prev.max.map((v, i) => Math.max(v, batch.max[i])) };
    } else {
      this.current = {
        min: prev.min.map((v, i) => s.factor * v + (1 - s.factor) * batch.min[i]),
        max: prev.max.map((v, i) => s.factor * v + (1 - s.factor) * batch.max[i]),
      };
    }
    return this.current;
  }

  get range(): Range | null {
    return this.current;
  }
}
