import { describe, expect, it } from 'vitest';
import { parseGridSpec } from './spec.js';

const base = { models: ['m'], quantizers: ['academic-w4a4'], defenses: ['lac'], seeds: [0] };
const error = (raw: unknown): string => {
  try {
    parseGridSpec(raw, 'g.json');
  } catch (e) {
    expect((e as { code?: string }).code).toBe('E_USAGE');
    const message = (e as Error).message;
    expect(message).not.toMatch(/\n/);
    return message;
  }
  throw new Error('the spec was accepted');
};

describe('parseGridSpec', () => {
  it('reads the axes, with purify\'s defaults for what the spec leaves out', () => {
    const spec = parseGridSpec({
      ...base,
      defenses: ['lac', 'lac+pda', { defense: 'nad', augment: ['pda'], options: { lr: 0.01, warm: true } }],
      options: { iterations: 5 },
    });
    expect(spec.defenses).toEqual([
      { defense: 'lac', augment: [], options: { iterations: '5' }, label: 'lac' },
      { defense: 'lac', augment: ['pda'], options: { iterations: '5' }, label: 'lac+pda' },
      { defense: 'nad', augment: ['pda'], options: { iterations: '5', lr: '0.01', warm: 'true' }, label: 'nad+pda{lr=0.01,warm=true}' },
    ]);
    expect(spec).toMatchObject({ presets: ['fast'], share: 0.05, samples: 1024, data: null, seeds: [0] });
    expect(parseGridSpec({ ...base, preset: ['fast', 'paper'], share: 0.1, samples: 64, data: 'synthetic' })).toMatchObject({
      presets: ['fast', 'paper'], share: 0.1, samples: 64, data: 'synthetic',
    });
    expect(parseGridSpec({ ...base, defenses: [{ defense: 'ft', augment: 'pda', label: 'FT with PDA' }] }).defenses[0]).toEqual({
      defense: 'ft', augment: ['pda'], options: {}, label: 'FT with PDA',
    });
  });

  it('names the bad field in a one-line error', () => {
    expect(error([1])).toBe('g.json: the spec must be a JSON object, got an array');
    expect(error({ ...base, seed: 0 })).toMatch(/^g\.json: seed is not a spec field \(fields: models, quantizers, defenses, preset, seeds/);
    expect(error({ ...base, models: undefined })).toBe('g.json: models is required');
    expect(error({ ...base, models: [] })).toBe('g.json: models must be a non-empty array, got []');
    expect(error({ ...base, models: ['a', 3] })).toBe('g.json: models[1] must be a non-empty string, got 3');
    expect(error({ ...base, quantizers: 'academic-w4a4' })).toBe('g.json: quantizers must be a non-empty array, got "academic-w4a4"');
    expect(error({ ...base, seeds: [0, 1.5] })).toBe('g.json: seeds[1] must be an integer >= 0, got 1.5');
    expect(error({ ...base, seeds: [0, 0] })).toBe('g.json: seeds[1] repeats seeds[0]');
    expect(error({ ...base, preset: 'slow' })).toBe('g.json: preset must be "fast" or "paper", got "slow"');
    expect(error({ ...base, preset: ['fast', 'quick'] })).toBe('g.json: preset[1] must be "fast" or "paper", got "quick"');
    expect(error({ ...base, share: 0 })).toBe('g.json: share must be a number > 0 and <= 1, got 0');
    expect(error({ ...base, samples: -2 })).toBe('g.json: samples must be an integer >= 1, got -2');
    expect(error({ ...base, data: '' })).toBe('g.json: data must be a non-empty string, got ""');
    expect(error({ ...base, options: { lr: [1] } })).toBe('g.json: options.lr must be a string, number or boolean, got [1]');
    expect(error({ ...base, options: { 'a=b': 1 } })).toBe('g.json: options has a bad option name "a=b"');
  });

  it('checks each defense entry', () => {
    expect(error({ ...base, defenses: ['lac+'] })).toBe('g.json: defenses[0] must be "defense" or "defense+augmentation", got "lac+"');
    expect(error({ ...base, defenses: [3] })).toMatch(/^g\.json: defenses\[0\] must be a string such as "lac\+pda" or an object with "defense", got 3$/);
    expect(error({ ...base, defenses: [{ augment: ['pda'] }] })).toBe('g.json: defenses[0].defense must be a non-empty string, got nothing');
    expect(error({ ...base, defenses: [{ defense: 'nad', augments: ['pda'] }] })).toMatch(/^g\.json: defenses\[0\]\.augments is not a spec field \(fields: defense, augment, options, label\)$/);
    expect(error({ ...base, defenses: [{ defense: 'nad', augment: [''] }] })).toBe('g.json: defenses[0].augment[0] must be a non-empty string, got ""');
    expect(error({ ...base, defenses: [{ defense: 'nad', options: { lr: null } }] })).toBe('g.json: defenses[0].options.lr must be a string, number or boolean, got null');
    expect(error({ ...base, defenses: ['lac', 'lac'] })).toBe('g.json: defenses[1] repeats defenses[0]');
    expect(error({ ...base, defenses: ['lac+pda', { defense: 'lac', augment: ['pda'], label: 'LAC + PDA' }] })).toBe('g.json: defenses[1] runs the same settings as defenses[0]');
    expect(error({ ...base, defenses: ['lac', { defense: 'ft', label: 'lac' }] })).toBe('g.json: defenses[1] has the label "lac" of defenses[0]');
  });
});
