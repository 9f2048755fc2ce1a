import { describe, expect, it } from 'vitest';
import { FT_SAM_FAST, FT_SAM_PAPER, resolveFtSamOptions } from './options.js';

describe('FT-SAM options', () => {
  it("has BackdoorBench's CIFAR-10 settings with the paper's 200 epochs, and a shorter fast preset", () => {
    expect(resolveFtSamOptions('paper')).toEqual({
      epochs: 200, batchSize: 256, lr: 0.01, momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine', rho: 2, adaptive: true, labelSmoothing: 0.1,
    });
    expect(resolveFtSamOptions('fast')).toEqual(FT_SAM_FAST);
    expect(FT_SAM_FAST).toEqual({ ...FT_SAM_PAPER, epochs: 4, batchSize: 0 });
  });

  it('reads --option strings and rejects bad values in one line', () => {
    expect(resolveFtSamOptions('fast', { rho: '8', adaptive: 'false', labelSmoothing: '0' })).toMatchObject({ rho: 8, adaptive: false, labelSmoothing: 0 });
    expect(() => resolveFtSamOptions('fast', { rho: '0' })).toThrow(/^--option rho must be a number > 0, got "0"$/);
    expect(() => resolveFtSamOptions('fast', { adaptive: 'maybe' })).toThrow(/adaptive must be true or false/);
    expect(() => resolveFtSamOptions('fast', { labelSmoothing: '1' })).toThrow(/labelSmoothing must be a number >= 0 and <= 0.99/);
  });
});
