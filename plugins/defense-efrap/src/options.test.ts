import { describe, expect, it } from 'vitest';
import { EFRAP_FAST, EFRAP_PAPER, regulariserExponent, resolveEfrapOptions } from './options.js';

describe('EFRAP options', () => {
  it("has the authors' settings as their code runs them, and a shorter fast preset", () => {
    expect(resolveEfrapOptions('paper')).toEqual({
      iterations: 10_000, batchSize: 32, lr: 1e-3, roundWeight: 0.01, flipWeight: 1, bRange: [2, 2], warmUp: 0, flipGuide: 'error', quantizeOutput: true,
    });
    expect(resolveEfrapOptions('fast')).toEqual(EFRAP_FAST);
    expect(EFRAP_FAST).toEqual({ ...EFRAP_PAPER, iterations: 600, lr: 1e-2 });
  });

  it('reads --option strings, leaves other keys alone and rejects bad values in one line', () => {
    expect(resolveEfrapOptions('fast', { iterations: '50', bRange: '20,2', flipGuide: 'error-activation', quantizeOutput: 'false', 'pda.steps': '5' }))
      .toMatchObject({ iterations: 50, bRange: [20, 2], flipGuide: 'error-activation', quantizeOutput: false });
    expect(() => resolveEfrapOptions('fast', { iterations: '-1' })).toThrow(/^--option iterations must be an integer >= 0, got "-1"$/);
    expect(() => resolveEfrapOptions('fast', { bRange: '20' })).toThrow(/^--option bRange must be 2 comma-separated non-negative numbers, got "20"$/);
    expect(() => resolveEfrapOptions('fast', { warmUp: '2' })).toThrow(/warmUp must be a number >= 0 and <= 1/);
    expect(() => resolveEfrapOptions('fast', { flipGuide: 'activation' })).toThrow(/flipGuide must be one of error, error-activation/);
  });

  it("keeps b at 2 from the first step as the authors' code does, or follows AdaRound's warm-up and linear decay", () => {
    expect([0, 5_000, 9_999].map((t) => regulariserExponent(EFRAP_PAPER, t))).toEqual([2, 2, 2]);
    const adaround = { iterations: 100, bRange: [20, 2], warmUp: 0.2 };
    expect(regulariserExponent(adaround, 19)).toBeNull();
    expect(regulariserExponent(adaround, 20)).toBe(20);
    expect(regulariserExponent(adaround, 60)).toBeCloseTo(11, 10);
    expect(regulariserExponent(adaround, 100)).toBe(2);
  });
});
