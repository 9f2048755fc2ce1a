import { describe, expect, it } from 'vitest';
import { defaultBatchSize, resolveBatchSize } from './batch-size.js';
import { resolveTrainingOptions, type OptionRules } from './options.js';

interface Opts {
  epochs: number;
  lr: number;
  schedule: string;
  nesterov: boolean;
  betas: number[];
}

const BASE: Opts = { epochs: 10, lr: 0.01, schedule: 'cosine', nesterov: false, betas: [500, 1000, 1000] };
const RULES: OptionRules<Opts> = {
  epochs: { type: 'integer', min: 0 },
  lr: { type: 'number', min: 0, exclusiveMin: true },
  schedule: { type: 'enum', values: ['cosine', 'step', 'constant'] },
  nesterov: { type: 'boolean' },
  betas: { type: 'numbers', length: 3 },
};

describe('resolveTrainingOptions', () => {
  it('reads string overrides of its own keys and leaves the run\'s other keys alone', () => {
    expect(resolveTrainingOptions(BASE, RULES, { epochs: '3', lr: '0.1', schedule: 'step', nesterov: 'true', betas: '1,2,3', 'pda.steps': '9' }))
      .toEqual({ epochs: 3, lr: 0.1, schedule: 'step', nesterov: true, betas: [1, 2, 3] });
    expect(resolveTrainingOptions(BASE, RULES, {})).toEqual(BASE);
  });

  it('rejects a bad value with one line naming the key, the rule and the value', () => {
    const bad: Array<[string, string, RegExp]> = [
      ['epochs', '2.5', /^--option epochs must be an integer >= 0, got "2.5"$/],
      ['lr', '0', /^--option lr must be a number > 0, got "0"$/],
      ['lr', '', /lr must be a number/],
      ['schedule', 'linear', /^--option schedule must be one of cosine, step, constant, got "linear"$/],
      ['nesterov', 'yes', /nesterov must be true or false/],
      ['betas', '1,2', /betas must be 3 comma-separated non-negative numbers/],
    ];
    for (const [key, value, message] of bad) expect(() => resolveTrainingOptions(BASE, RULES, { [key]: value })).toThrow(message);
  });
});

describe('defaultBatchSize', () => {
  it('is 128 for a 5% Fashion-MNIST share, fewer for large inputs or small shares, never more than the data', () => {
    expect(defaultBatchSize(3000, [28, 28, 1])).toBe(128);
    expect(defaultBatchSize(2500, [32, 32, 3])).toBe(128);
    expect(defaultBatchSize(3000, [224, 224, 3])).toBe(8);
    expect(defaultBatchSize(64, [8, 8, 1])).toBe(8);
    expect(defaultBatchSize(3, [8, 8, 1])).toBe(1);
    expect(resolveBatchSize(256, 100, [28, 28, 1])).toBe(100);
    expect(resolveBatchSize(undefined, 3000, [28, 28, 1])).toBe(128);
  });
});
