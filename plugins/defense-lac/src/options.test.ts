import { describe, expect, it } from 'vitest';
import { LAC_FAST, LAC_PAPER, lacPreset } from './options.js';

describe('lacPreset', () => {
  it('shifts the cache per channel in the fast preset only when no augmentation moves it', () => {
    expect(lacPreset('fast').channelShiftSteps).toBe(0.5);
    expect(lacPreset('fast', true)).toEqual({ ...LAC_FAST, channelShiftSteps: 0 });
    expect(lacPreset('paper').channelShiftSteps).toBe(0);
    expect(lacPreset('paper', true)).toBe(LAC_PAPER);
  });
});
