import { describe, expect, it } from 'vitest';
import { IBAU_FAST, IBAU_PAPER, resolveIbauOptions } from './options.js';

describe('I-BAU options', () => {
  it("has BackdoorBench's settings with the authors' perturbation and L2 ball, and a fast preset with a smaller inner batch", () => {
    expect(resolveIbauOptions('paper')).toEqual({
      rounds: 5, fixedPointIterations: 5, batchSize: 256, innerBatchSize: 0, lr: 1e-4, perturbLr: 10, perturbSteps: 0,
      perturbReg: 1e-3, normBound: 10, innerStep: 0.1, patchPortion: 0.01, hypergradient: 'auto',
    });
    expect(resolveIbauOptions('fast')).toEqual(IBAU_FAST);
    expect(IBAU_FAST).toEqual({ ...IBAU_PAPER, batchSize: 128, innerBatchSize: 32 });
  });

  it('reads --option strings, leaves other keys alone and rejects bad values in one line', () => {
    expect(resolveIbauOptions('fast', { rounds: '2', normBound: '0', hypergradient: 'finite-difference', 'pda.steps': '3' }))
      .toMatchObject({ rounds: 2, normBound: 0, hypergradient: 'finite-difference' });
    expect(() => resolveIbauOptions('fast', { rounds: '0' })).toThrow(/^--option rounds must be an integer >= 1, got "0"$/);
    expect(() => resolveIbauOptions('fast', { patchPortion: '1.5' })).toThrow(/^--option patchPortion must be a number >= 0 and <= 1, got "1.5"$/);
    expect(() => resolveIbauOptions('fast', { innerStep: '0' })).toThrow(/innerStep must be a number > 0/);
    expect(() => resolveIbauOptions('fast', { hypergradient: 'neumann' })).toThrow(/hypergradient must be one of auto, exact, finite-difference/);
  });
});
