import { describe, expect, it } from 'vitest';
import { FT_FAST, FT_PAPER, ftSchedule, resolveFtOptions } from './options.js';

describe('FT options', () => {
  it("has the paper's settings (10 epochs, batches of 128, SGD 0.01 / 0.9 / 5e-4, cosine) and a shorter fast preset", () => {
    expect(resolveFtOptions('paper')).toEqual({ epochs: 10, batchSize: 128, lr: 0.01, momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine' });
    expect(resolveFtOptions('fast')).toEqual(FT_FAST);
    expect(FT_FAST).toEqual({ ...FT_PAPER, epochs: 5, batchSize: 0 });
    expect(ftSchedule({ lr: 0.1, schedule: 'step' })).toEqual({ type: 'step', lr: 0.1, milestones: [0.5, 0.75], gamma: 0.1 });
  });

  it('reads --option strings and rejects bad values in one line', () => {
    expect(resolveFtOptions('fast', { epochs: '3', lr: '1e-3', schedule: 'constant', 'pda.gamma': '0.1' })).toMatchObject({ epochs: 3, lr: 0.001, schedule: 'constant' });
    expect(() => resolveFtOptions('fast', { epochs: 'ten' })).toThrow(/^--option epochs must be an integer >= 1, got "ten"$/);
    expect(() => resolveFtOptions('fast', { momentum: '1.5' })).toThrow(/momentum must be a number >= 0 and <= 1/);
    expect(() => resolveFtOptions('fast', { schedule: 'linear' })).toThrow(/schedule must be one of cosine, step, constant/);
  });
});
