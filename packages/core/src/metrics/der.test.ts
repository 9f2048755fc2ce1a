import { describe, expect, it } from 'vitest';
import { defenseEffectivenessRating as der } from './der.js';

describe('defenseEffectivenessRating', () => {
  it("reproduces the paper's Table 1 example", () => {
    // dASR = 0.9674 - 0.0157 = 0.9517, BA rose so dBA clips to 0: (0.9517 + 1) / 2.
    expect(der({ ba: 81.31, asr: 96.74 }, { ba: 84.70, asr: 1.57 })).toBeCloseTo(97.585, 10);
  });

  it('gives 50 for no change and subtracts a BA drop', () => {
    expect(der({ ba: 90, asr: 100 }, { ba: 90, asr: 100 })).toBe(50);
    // (0.9 - 0.1 + 1) / 2
    expect(der({ ba: 90, asr: 100 }, { ba: 80, asr: 10 })).toBeCloseTo(90, 10);
  });

  it('clips: a BA gain does not raise DER, an ASR rise does not lower it', () => {
    const sameBa = der({ ba: 80, asr: 90 }, { ba: 80, asr: 10 });
    expect(sameBa).toBeCloseTo(90, 10);
    expect(der({ ba: 80, asr: 90 }, { ba: 95, asr: 10 })).toBeCloseTo(sameBa, 10);
    // ASR up 10 points clips to 0; BA down 10 points: (0 - 0.1 + 1) / 2.
    expect(der({ ba: 80, asr: 50 }, { ba: 70, asr: 60 })).toBeCloseTo(45, 10);
  });

  it('weights the ASR and BA terms with alpha', () => {
    const before = { ba: 90, asr: 100 };
    const after = { ba: 80, asr: 10 };
    // 0.8 * 0.9 - 0.2 * 0.1 + 0.5 = 1.2
    expect(der(before, after, 0.8)).toBeCloseTo(120, 10);
    // 0 * 0.9 - 1 * 0.1 + 0.5 = 0.4
    expect(der(before, after, 0)).toBeCloseTo(40, 10);
    expect(der(before, after, 0.5)).toBeCloseTo(der(before, after), 12);
    expect(() => der(before, after, 1.5)).toThrow(/alpha must be in \[0, 1\]/);
    expect(() => der(before, { ba: Number.NaN, asr: 1 })).toThrow(/finite/);
  });
});
