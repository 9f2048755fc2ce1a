import { describe, expect, it } from 'vitest';
import { isQcbError } from '../errors.js';
import { parseSidecar } from '../io/folder/sidecar.js';
import { createTrigger, parseTriggerSpec } from './parse-trigger.js';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isQcbError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  throw new Error('expected an error');
}

describe('parseTriggerSpec', () => {
  it.each([
    ['patch:4', { type: 'patch', size: 4 }],
    ['patch:6@24,24', { type: 'patch', size: 6, row: 24, col: 24 }],
    ['patch:3,value=0.5', { type: 'patch', size: 3, value: 0.5 }],
    ['patch:6@0,2,value=0', { type: 'patch', size: 6, row: 0, col: 2, value: 0 }],
    ['patch:2,row=1,col=3', { type: 'patch', size: 2, row: 1, col: 3 }],
    ['blend:0.1', { type: 'blend', alpha: 0.1 }],
    ['blend:0.2,seed=3', { type: 'blend', alpha: 0.2, seed: 3 }],
    ['blend:1,pattern=stripes', { type: 'blend', alpha: 1, pattern: 'stripes' }],
    ['wanet', { type: 'wanet' }],
    ['wanet:k=4,s=0.5,seed=1', { type: 'wanet', k: 4, s: 0.5, seed: 1 }],
    [' wanet:s=1e-1 ', { type: 'wanet', s: 0.1 }],
  ])('parses %s', (text, spec) => {
    expect(parseTriggerSpec(text)).toEqual(spec);
    // Whatever parses is a valid qcb.json trigger.
    expect(parseSidecar({ version: 1, trigger: spec }, 'qcb.json').trigger).toEqual(spec);
  });

  it.each([
    ['patch', /patch needs a size/],
    ['patch:0', /size must be at least 1, got 0/],
    ['patch:4.5', /size "4\.5" is not an integer/],
    ['patch:x', /size "x" is not an integer/],
    ['patch:6@24', /position "@24" needs a row and a column/],
    ['patch:6@a,2', /row "a" is not an integer/],
    ['patch:6@1,-2', /column must be non-negative, got -2/],
    ['patch:4,', /empty part between commas/],
    ['patch:4,value', /"value" should be key=value \(keys: row, col, value\)/],
    ['patch:4,value=0.5,value=0.6', /option "value" is given twice/],
    ['patch:4,value=', /option "value" has no value/],
    ['patch:6@1,2,row=3', /unknown option "row" \(keys: value\)/],
    ['blend', /blend needs an alpha/],
    ['blend:1.5', /alpha must be in \(0, 1\], got 1\.5/],
    ['blend:abc', /alpha "abc" is not a number/],
    ['blend:0.1,seed=1.5', /seed "1\.5" is not an integer/],
    ['blend:0.1,alpha=0.2', /unknown option "alpha" \(keys: pattern, seed\)/],
    ['wanet:k=0', /k must be at least 1, got 0/],
    ['wanet:s=0', /s must be positive, got 0/],
    ['wanet:s=abc', /s "abc" is not a number/],
    ['wanet:q=1', /unknown option "q" \(keys: k, s, seed\)/],
    ['wanet:', /empty part between commas/],
    ['badnets:4', /unknown trigger type "badnets" \(types: patch, blend, wanet\)/],
  ])('rejects %s', (text, message) => {
    const error = errorOf(() => parseTriggerSpec(text));
    expect(error).toMatch(/^E_USAGE: bad trigger "/);
    expect(error).toContain(`"${text}"`);
    expect(error).toMatch(message);
  });
});

describe('createTrigger', () => {
  it('dispatches on the type and fills in defaults', () => {
    expect(createTrigger(parseTriggerSpec('patch:4'), [28, 28, 1]).spec).toEqual({ type: 'patch', size: 4, row: 23, col: 23, value: 1 });
    expect(createTrigger(parseTriggerSpec('blend:0.1'), [4, 4, 3]).spec).toEqual({ type: 'blend', alpha: 0.1, pattern: 'noise', seed: 0 });
    expect(createTrigger(parseTriggerSpec('wanet'), [8, 8, 1]).description).toBe('WaNet warp with k 4, s 0.5, seed 0');
  });

  it('checks the input shape and that the trigger fits it', () => {
    expect(errorOf(() => createTrigger({ type: 'patch', size: 6, row: 24, col: 24 }, [28, 28, 1]))).toMatch(/^E_USAGE: patch trigger: rows 24\.\.29 do not fit the input height 28/);
    expect(errorOf(() => createTrigger({ type: 'patch', size: 2 }, [28, 0, 1]))).toMatch(/input shape must be \[height, width, channels\] of positive integers/);
  });

  it('names the registered types when none fits', () => {
    expect(errorOf(() => createTrigger({ type: 'wanet' }, [8, 8, 1], []))).toBe('E_USAGE: no trigger factory for type "wanet" (available: none registered)');
  });
});
