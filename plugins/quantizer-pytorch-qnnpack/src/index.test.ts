import { Engine, resolveQuantizer } from '@qcb/core';
import { describe, expect, it } from 'vitest';
import plugin, { PYTORCH_QNNPACK } from './index.js';

describe('pytorch-qnnpack', () => {
  it('registers its profile by name through DI', async () => {
    const engine = await Engine.create([plugin]);
    expect(engine.registry().quantizers).toEqual(['pytorch-qnnpack']);
    expect(resolveQuantizer(engine, 'pytorch-qnnpack')).toBe(PYTORCH_QNNPACK);
    expect(PYTORCH_QNNPACK.weights.bits).toBe(8);
  });
});
