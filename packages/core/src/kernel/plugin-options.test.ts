import { describe, expect, it } from 'vitest';
import { withOverrides } from './plugin-options.js';

describe('withOverrides', () => {
  const defaults = { lr: 1e-3, quantizer: '', quantizeOutput: false };

  it('gives each override the type of its default', () => {
    expect(withOverrides(defaults, { lr: '0.01', quantizer: 'academic-w4a4', quantizeOutput: 'true' })).toEqual({ lr: 0.01, quantizer: 'academic-w4a4', quantizeOutput: true });
    expect(withOverrides(defaults, { quantizeOutput: '0' }).quantizeOutput).toBe(false);
    expect(withOverrides(defaults, {})).toEqual(defaults);
  });

  it('rejects an unknown key, a non-number and a non-flag', () => {
    expect(() => withOverrides(defaults, { lrr: 1 })).toThrow('unknown option "lrr" (options: lr, quantizer, quantizeOutput)');
    expect(() => withOverrides(defaults, { lr: 'fast' })).toThrow('option "lr" must be a number, got "fast"');
    expect(() => withOverrides(defaults, { quantizeOutput: 'yes' })).toThrow('option "quantizeOutput" must be true or false, got "yes"');
  });
});
