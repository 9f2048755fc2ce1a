import { Engine, resolveQuantizer } from '@qcb/core';
import { describe, expect, it } from 'vitest';
import plugin, { ACADEMIC_W4A4 } from './index.js';

describe('academic-w4a4', () => {
  it('registers its profile by name through DI', async () => {
    const engine = await Engine.create([plugin]);
    expect(engine.registry().quantizers).toEqual(['academic-w4a4']);
    expect(resolveQuantizer(engine, 'academic-w4a4')).toBe(ACADEMIC_W4A4);
    expect(ACADEMIC_W4A4.weights.bits).toBe(4);
  });
});
