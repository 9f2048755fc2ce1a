import { Engine, resolveQuantizer } from '@qcb/core';
import { describe, expect, it } from 'vitest';
import plugin, { PYTORCH_FBGEMM } from './index.js';

describe('pytorch-fbgemm', () => {
  it('registers its profile by name through DI', async () => {
    const engine = await Engine.create([plugin]);
    expect(engine.registry().quantizers).toEqual(['pytorch-fbgemm']);
    expect(resolveQuantizer(engine, 'pytorch-fbgemm')).toBe(PYTORCH_FBGEMM);
    expect(PYTORCH_FBGEMM.weights.bits).toBe(8);
  });
});
