import { describe, expect, it } from 'vitest';
import { favouredClass } from './favoured-class.js';

describe('favouredClass', () => {
  it('names the class whose logit rises most and measures its rise above the median class', () => {
    // The pqbackdoor-w4 pattern: the target's logit up 1.32 sd, the others within +-0.15.
    expect(favouredClass([1.32, -0.1, 0.05, 0.15, -0.07, 0, 0.02, -0.12, 0.1, -0.03])).toEqual({ class: 0, rise: 1.32 - 0.01 });
  });

  it('does not count a shift every class shares', () => {
    const r = favouredClass([0.5, 0.5, 0.5, 0.6]);
    expect(r.class).toBe(3);
    expect(r.rise).toBeCloseTo(0.1, 10);
  });

  it('reads a falling output as no rise beyond the median', () => {
    expect(favouredClass([-1, -2, -3])).toEqual({ class: 0, rise: 1 });
    expect(favouredClass([])).toEqual({ class: -1, rise: 0 });
  });
});
