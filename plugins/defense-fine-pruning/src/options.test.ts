import { describe, expect, it } from 'vitest';
import { FINE_PRUNING_FAST, FINE_PRUNING_PAPER, finePruningSchedule, resolveFinePruningOptions } from './options.js';

describe('fine-pruning options', () => {
  it("prunes 40% and fine-tunes with FT's settings (paper: 10 epochs of 128, SGD 0.01 / 0.9 / 5e-4, cosine); fast: 5 epochs", () => {
    expect(resolveFinePruningOptions('paper')).toEqual({ rate: 0.4, epochs: 10, batchSize: 128, lr: 0.01, momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine' });
    expect(resolveFinePruningOptions('fast')).toEqual(FINE_PRUNING_FAST);
    expect(FINE_PRUNING_FAST).toEqual({ ...FINE_PRUNING_PAPER, epochs: 5, batchSize: 0 });
    expect(finePruningSchedule({ lr: 0.1, schedule: 'step' })).toEqual({ type: 'step', lr: 0.1, milestones: [0.5, 0.75], gamma: 0.1 });
  });

  it('reads --option strings (epochs=0: pruning alone) and rejects bad values in one line', () => {
    expect(resolveFinePruningOptions('fast', { rate: '0.2', epochs: '0', 'pda.steps': '3' })).toMatchObject({ rate: 0.2, epochs: 0 });
    expect(() => resolveFinePruningOptions('fast', { rate: '1.5' })).toThrow(/^--option rate must be a number >= 0 and <= 1, got "1.5"$/);
    expect(() => resolveFinePruningOptions('fast', { rate: 'half' })).toThrow(/^--option rate must be a number >= 0 and <= 1, got "half"$/);
    expect(() => resolveFinePruningOptions('fast', { epochs: '-1' })).toThrow(/^--option epochs must be an integer >= 0, got "-1"$/);
    expect(() => resolveFinePruningOptions('fast', { schedule: 'linear' })).toThrow(/schedule must be one of cosine, step, constant/);
  });
});
