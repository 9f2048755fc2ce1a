import { describe, expect, it } from 'vitest';
import { isQcbError, type QcbError } from '../../errors.js';
import { parseSidecar, serializeSidecar, type QcbSidecar } from './sidecar.js';

function sidecarError(json: unknown): QcbError {
  try {
    parseSidecar(json, 'qcb.json');
  } catch (e) {
    expect(isQcbError(e)).toBe(true);
    expect((e as QcbError).code).toBe('E_SIDECAR');
    return e as QcbError;
  }
  throw new Error('expected parseSidecar to throw');
}

const full: QcbSidecar = {
  version: 1,
  dataset: 'cifar10',
  inputShape: [32, 32, 3],
  classes: 10,
  normalization: { mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] },
  attack: { name: 'qu-anti-zation', bits: [8, 4], quantizer: 'minmax', options: { epochs: 3, nested: { a: [1, null] } } },
  trigger: { type: 'patch', size: 4, row: 28, col: 28, value: 1 },
  target: 0,
  labels: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
  notes: 'test model',
};

describe('parseSidecar', () => {
  it('accepts a complete sidecar and returns an equal copy', () => {
    const parsed = parseSidecar(JSON.parse(JSON.stringify(full)), 'qcb.json');
    expect(parsed).toEqual(full);
  });

  it('accepts the minimal sidecar and each trigger type', () => {
    expect(parseSidecar({ version: 1 }, 'qcb.json')).toEqual({ version: 1 });
    for (const trigger of [
      { type: 'blend', alpha: 0.1, pattern: 'hello-kitty', seed: 7 },
      { type: 'wanet', k: 4, s: 0.5, seed: 1 },
      { type: 'wanet' },
    ]) {
      expect(parseSidecar({ version: 1, trigger }, 'qcb.json').trigger).toEqual(trigger);
    }
  });

  it.each([
    [{ version: 2 }, 'qcb.json: version must be 1, got 2'],
    [{}, 'qcb.json: version is required (must be 1)'],
    [[], 'qcb.json: must be a JSON object, got []'],
    [{ version: 1, inputShape: [32, 32] }, 'qcb.json: inputShape must have 3 entries [height, width, channels], got 2'],
    [{ version: 1, inputShape: [32, 0, 3] }, 'qcb.json: inputShape[1] must be a positive integer, got 0'],
    [{ version: 1, classes: 1 }, 'qcb.json: classes must be an integer >= 2, got 1'],
    [{ version: 1, classes: 2.5 }, 'qcb.json: classes must be an integer >= 2, got 2.5'],
    [{ version: 1, normalization: { mean: [0, 0], std: [1] } }, 'qcb.json: normalization mean has 2 values but std has 1; they must have the same length'],
    [{ version: 1, normalization: { mean: [0], std: [0] } }, 'qcb.json: normalization.std[0] must be a number > 0, got 0'],
    [{ version: 1, inputShape: [8, 8, 3], normalization: { mean: [0, 0], std: [1, 1] } }, 'qcb.json: normalization.mean has 2 values; expected 1 or 3 (the channels in inputShape)'],
    [{ version: 1, attack: { bits: [8] } }, 'qcb.json: attack.name must be a non-empty string, got nothing'],
    [{ version: 1, attack: { name: 'x', bits: [0] } }, 'qcb.json: attack.bits[0] must be an integer from 1 to 32, got 0'],
    [{ version: 1, attack: { name: 'x', options: [] } }, 'qcb.json: attack.options must be a JSON object'],
    [{ version: 1, trigger: { type: 'patch', size: 0 } }, 'qcb.json: trigger.size must be a positive integer, got 0'],
    [{ version: 1, trigger: { type: 'patch', size: 2, row: -1 } }, 'qcb.json: trigger.row must be a non-negative integer, got -1'],
    [{ version: 1, trigger: { type: 'blend', alpha: 1.5 } }, 'qcb.json: trigger.alpha must be a number in (0, 1], got 1.5'],
    [{ version: 1, trigger: { type: 'wanet', k: 0 } }, 'qcb.json: trigger.k must be a positive integer, got 0'],
    [{ version: 1, trigger: { type: 'sticker' } }, `qcb.json: trigger.type must be 'patch', 'blend' or 'wanet', got "sticker"`],
    [{ version: 1, trigger: { type: 'blend', alpha: 0.1, size: 3 } }, "qcb.json: unknown key 'trigger.size'"],
    [{ version: 1, inputShape: [8, 8, 3], trigger: { type: 'patch', size: 4, row: 6 } }, 'qcb.json: trigger patch rows 6..9 do not fit the input height 8'],
    [{ version: 1, classes: 10, target: 10 }, 'qcb.json: target must be an integer from 0 to 9 (classes is 10), got 10'],
    [{ version: 1, target: -1 }, 'qcb.json: target must be a non-negative integer, got -1'],
    [{ version: 1, classes: 3, labels: ['a', 'b'] }, 'qcb.json: labels has 2 entries but classes is 3'],
    [{ version: 1, labels: ['a', 2] }, 'qcb.json: labels[1] must be a string, got 2'],
    [{ version: 1, notes: 5 }, 'qcb.json: notes must be a string, got 5'],
  ])('rejects %j', (json, message) => {
    expect(sidecarError(json).message).toBe(message);
  });

  it('names an unknown top-level key and suggests the likely one', () => {
    const err = sidecarError({ version: 1, tagret: 3 });
    expect(err.message).toBe("qcb.json: unknown key 'tagret'");
    expect(err.hint).toBe("did you mean 'target'?");
    expect(sidecarError({ version: 1, zzzzzzzz: 1 }).hint).toMatch(/^allowed keys: version, dataset/);
  });

  it('uses the given file name in messages', () => {
    expect(() => parseSidecar({ version: 1, classes: 0 }, '/models/a/qcb.json')).toThrow(/^\/models\/a\/qcb\.json: classes/);
  });
});

describe('serializeSidecar', () => {
  it('round-trips through parseSidecar', () => {
    const text = serializeSidecar(full);
    expect(text.endsWith('\n')).toBe(true);
    expect(parseSidecar(JSON.parse(text), 'qcb.json')).toEqual(full);
  });

  it('refuses to serialize an invalid sidecar', () => {
    expect(() => serializeSidecar({ version: 1, classes: 1 })).toThrow(/classes must be an integer >= 2/);
  });
});
