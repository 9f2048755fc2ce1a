import { describe, expect, it } from 'vitest';
import { MCR_FAST, MCR_PAPER, curvePoints, mcrSchedule, resolveMcrOptions } from './options.js';

describe('MCR options', () => {
  it("has BackdoorBench's mcr settings (endpoint 100 epochs at 0.01, curve 100 epochs at 3e-5, cosine, batches of 128, t 0.1) and a short fast preset", () => {
    expect(resolveMcrOptions('paper')).toEqual({
      endpointEpochs: 100, endpointLr: 0.01, endpointSchedule: 'cosine', epochs: 100, lr: 3e-5, schedule: 'cosine',
      batchSize: 128, momentum: 0.9, weightDecay: 5e-4, t: 0.1, candidates: [], holdout: 0.1,
    });
    expect(resolveMcrOptions('fast')).toEqual(MCR_FAST);
    expect(MCR_FAST).toEqual({ ...MCR_PAPER, endpointEpochs: 3, epochs: 5, lr: 0.01, batchSize: 0 });
    expect(mcrSchedule('step', 0.03)).toEqual({ type: 'step', lr: 0.03, milestones: [0.75, 0.9], gamma: 0.1 });
  });

  it('returns t alone or the candidates', () => {
    expect(curvePoints(resolveMcrOptions('fast', { t: '0.2' }))).toEqual([0.2]);
    expect(curvePoints(resolveMcrOptions('fast', { t: '0.2', candidates: '0.1,0.9' }))).toEqual([0.1, 0.9]);
  });

  it('reads --option strings and rejects bad values in one line', () => {
    expect(resolveMcrOptions('fast', { epochs: '0', lr: '0.03', schedule: 'step', 'pda.steps': '3' })).toMatchObject({ epochs: 0, lr: 0.03, schedule: 'step' });
    expect(() => resolveMcrOptions('fast', { t: '1.5' })).toThrow(/^--option t must be a number >= 0 and <= 1, got "1.5"$/);
    expect(() => resolveMcrOptions('fast', { candidates: '0.1,2' })).toThrow(/^--option candidates must be comma-separated numbers between 0 and 1, got "0.1,2"$/);
    expect(() => resolveMcrOptions('fast', { candidates: '0.1,x' })).toThrow(/^--option candidates must be a list of comma-separated non-negative numbers, got "0.1,x"$/);
    expect(() => resolveMcrOptions('fast', { holdout: '0.9' })).toThrow(/^--option holdout must be a number > 0 and <= 0.5, got "0.9"$/);
    expect(() => resolveMcrOptions('fast', { endpointSchedule: 'linear' })).toThrow(/endpointSchedule must be one of cosine, step, constant/);
  });
});
