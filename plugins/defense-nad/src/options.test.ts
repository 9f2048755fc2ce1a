import { describe, expect, it } from 'vitest';
import { NAD_FAST, NAD_PAPER, nadSchedule, resolveNadOptions } from './options.js';

describe('NAD options', () => {
  it("has the paper's settings and a shorter fast preset", () => {
    expect(resolveNadOptions('paper')).toEqual(NAD_PAPER);
    expect(NAD_PAPER).toMatchObject({ teacherEpochs: 10, epochs: 20, lr: 0.01, batchSize: 64, betas: [500, 1000, 1000], power: 2 });
    expect(resolveNadOptions('fast')).toEqual(NAD_FAST);
    expect(nadSchedule('step', 0.01)).toEqual({ type: 'step', lr: 0.01, milestones: [0.1, 0.2, 0.3, 0.4], gamma: 0.1 });
  });

  it('reads --option strings and rejects bad values in one line', () => {
    expect(resolveNadOptions('fast', { epochs: '2', betas: '1,2', layers: 'a,b', 'pda.steps': '5' })).toMatchObject({ epochs: 2, betas: [1, 2], layers: 'a,b' });
    expect(() => resolveNadOptions('fast', { betas: '500,x' })).toThrow(/^--option betas must be a list of comma-separated non-negative numbers, got "500,x"$/);
    expect(() => resolveNadOptions('fast', { teacherEpochs: '0' })).toThrow(/teacherEpochs must be an integer >= 1/);
    expect(() => resolveNadOptions('fast', { layers: 'a,b' })).toThrow(/names 2 layers but betas has 3 values/);
  });
});
